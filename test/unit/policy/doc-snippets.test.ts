import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseBundleSource, type PolicyRule } from '../../../src/policy/bundle.js'
import { checkBundlesCompose, ruleSources } from '../../../src/policy/compose.js'
import { DEFAULT_BUNDLE_YAML } from '../../../src/policy/default-bundle.js'
import { CompiledPolicy, type PolicyDecision } from '../../../src/policy/engine.js'
import { json, REPO, runCli, tempProject } from '../../helpers/project.js'

/**
 * Every policy snippet in the docs and packs (a fenced YAML block, or a packs/ policy file, with
 * `kind: PolicyBundle` or a rule's `decision:`) is loaded beside the shipped default bundle, as
 * `driftcore init` leaves a project, and must decide what its page promises. A new snippet
 * without an entry in SNIPPETS fails, so nobody forgets to say what it is for.
 */

interface Case {
  tool: string
  actor?: string
  env?: string
  input?: unknown
  expect: Partial<PolicyDecision>
}
/**
 * `cases`: decided beside the default (and the snippets in `with`, which the page sets up
 * first); `shadowed`: the rule ids the page shows warned about; `refused`: the page shows it
 * refused at publish, with this message; `excerpt`: it quotes the shipped default's rules.
 */
type Entry = { cases: Case[]; with?: string[]; shadowed?: string[]; refused?: string } | { excerpt: true }

// Risk tags of the installed tools the cases name; checked against `tools list` below.
const TOOLS: Record<string, { capability: string; risk: string[] }> = {
  'config.set': { capability: 'config.write', risk: ['write'] },
  'drush.cacheRebuild': { capability: 'drupal.cache', risk: ['write'] },
  'drush.configImport': { capability: 'drupal.config.write', risk: ['write'] },
  'drush.status': { capability: 'drupal.read', risk: ['read'] },
  'gitea.commit': { capability: 'gitea.commit', risk: ['write', 'network'] },
  'gitea.prCreate': { capability: 'gitea.pr', risk: ['write', 'network'] },
  'gitea.prGet': { capability: 'gitea.read', risk: ['read', 'network'] },
  'gitea.prMerge': { capability: 'gitea.merge', risk: ['write', 'network'] },
  'gitops.propose': { capability: 'gitops.propose', risk: ['write', 'network'] },
  'approvals.request': { capability: 'approvals.request', risk: ['write'] },
  'tekton.pipelineRunCreate': { capability: 'tekton.run', risk: ['write', 'network'] },
  'tekton.pipelineRunCancel': { capability: 'tekton.run', risk: ['write', 'network'] },
  'tekton.pipelineRunWatch': { capability: 'tekton.read', risk: ['read', 'network'] },
  'policy.rollback': { capability: 'policy.write', risk: ['write'] },
  'qa.runTests': { capability: 'qa.exec', risk: ['exec'] },
  'sandbox.apply': { capability: 'sandbox.write', risk: ['write'] },
  'sandbox.exec': { capability: 'sandbox.exec', risk: ['exec', 'write'] },
  'sandbox.init': { capability: 'sandbox.write', risk: ['write'] },
  'scaffold.module': { capability: 'scaffold.write', risk: ['write'] },
  'workflow.notify': { capability: 'workflow.notify', risk: ['write', 'network'] },
}

const ALLOW = { decision: 'ALLOW' } as const
const ASK = { decision: 'REQUIRE_APPROVAL' } as const
const DENY = { decision: 'DENY' } as const

const SNIPPETS: Record<string, Entry> = {
  'docs/guides/gitea.md#gitea-reads': {
    cases: [
      { tool: 'gitea.prGet', expect: { ...ALLOW, deciding_rule: 'gitea-reads' } },
      {
        tool: 'gitea.commit',
        expect: {
          decision: 'ALLOW_WITH_CONSTRAINTS',
          constraints: expect.objectContaining({ max_files_changed: 20, max_lines_changed: 800 }),
        },
      },
      { tool: 'gitea.prCreate', expect: ASK },
      {
        tool: 'gitops.propose',
        expect: { ...ASK, rule_ids: expect.arrayContaining(['gitea-pr-needs-a-person']) },
      },
      { tool: 'gitea.prMerge', expect: { ...ASK, approvals_required: 2 } },
    ],
  },
  'docs/guides/tekton.md#tasks-may-ask': {
    cases: [{ tool: 'approvals.request', expect: { ...ALLOW, deciding_rule: 'tasks-may-ask' } }],
  },
  'docs/guides/tekton-run.md#people-run-on-tekton': {
    cases: [
      {
        tool: 'tekton.pipelineRunCreate',
        actor: 'human:alice',
        expect: { ...ASK, deciding_rule: 'approve-write-exec' },
      },
      { tool: 'tekton.pipelineRunWatch', expect: { ...ALLOW, deciding_rule: 'agents-watch-tekton' } },
      { tool: 'tekton.pipelineRunCreate', expect: { ...ASK, deciding_rule: 'approve-write-exec' } },
      { tool: 'tekton.pipelineRunCancel', expect: ASK },
    ],
  },
  'docs/guides/policy.md#agents-in-prod-need-ops': {
    cases: [
      { tool: 'drush.status', expect: { ...ALLOW, deciding_rule: 'allow-read-only' } },
      { tool: 'drush.status', env: 'prod', expect: { ...ASK, deciding_rule: 'agents-in-prod-need-ops' } },
      { tool: 'drush.configImport', actor: 'human:alice', expect: { ...ASK, self_approval: true } },
      {
        tool: 'drush.configImport',
        actor: 'human:alice',
        input: { force: true },
        expect: { ...DENY, deciding_rule: 'no-config-import-on-fridays' },
      },
      {
        tool: 'qa.runTests',
        expect: {
          ...ASK,
          deciding_rule: 'approve-write-exec',
          constraints: expect.objectContaining({ network: 'none' }),
        },
      },
    ],
  },
  'docs/guides/policy.md#summaries-on-the-clients-word': {
    cases: [{ tool: 'drush.status', expect: { ...ASK, client_attestation: true } }],
  },
  'docs/guides/policy.md#approve-write-exec': { excerpt: true },
  'docs/guides/policy.md#notify-without-asking': {
    cases: [
      { tool: 'workflow.notify', expect: { ...ALLOW, deciding_rule: 'notify-without-asking' } },
      { tool: 'drush.cacheRebuild', expect: { ...ASK, deciding_rule: 'approve-write-exec' } },
    ],
  },
  'docs/guides/policy.md#ci-rebuilds-caches': {
    cases: [
      {
        tool: 'drush.cacheRebuild',
        actor: 'ci:release-bot',
        expect: { ...ALLOW, deciding_rule: 'ci-rebuilds-caches' },
      },
      {
        tool: 'drush.cacheRebuild',
        actor: 'ci:someone-else',
        expect: { ...ASK, deciding_rule: 'approve-write-exec' },
      },
      { tool: 'drush.configImport', actor: 'ci:release-bot', expect: ASK },
    ],
  },
  'docs/guides/policy.md#no-agent-config-imports': {
    cases: [
      { tool: 'drush.configImport', expect: { ...DENY, deciding_rule: 'no-agent-config-imports' } },
      { tool: 'drush.configImport', actor: 'human:alice', expect: ASK },
    ],
  },
  'docs/guides/policy.md#agents-import-in-dev': {
    with: ['docs/guides/policy.md#no-agent-config-imports'],
    refused:
      'rule "agents-import-in-dev" overrides "no-agent-config-imports", which is final (docs/guides/policy.md#no-agent-config-imports:7:5, bundle "secops" is final): a final rule can be relaxed by nothing',
    cases: [],
  },
  'docs/guides/policy.md#agents-notify': {
    shadowed: ['agents-notify'],
    cases: [{ tool: 'workflow.notify', expect: { ...ASK, deciding_rule: 'approve-write-exec' } }],
  },
  'docs/guides/approvals.md#solo-config-import': {
    cases: [
      { tool: 'drush.configImport', actor: 'human:alice', expect: { ...ASK, self_approval: true } },
      {
        tool: 'drush.cacheRebuild',
        actor: 'human:alice',
        expect: { ...ASK, deciding_rule: 'approve-write-exec' },
      },
    ],
  },
  'docs/guides/approvals.md#prod-imports-need-two': {
    cases: [
      {
        tool: 'drush.configImport',
        env: 'prod',
        expect: { ...ASK, deciding_rule: 'approve-write-exec', approvals_required: 2 },
      },
      { tool: 'drush.configImport', expect: { ...ASK, deciding_rule: 'approve-write-exec' } },
    ],
  },
  'docs/guides/workflows.md#allow-notify': {
    cases: [
      { tool: 'workflow.notify', expect: { ...ALLOW, deciding_rule: 'allow-notify' } },
      { tool: 'drush.cacheRebuild', expect: ASK },
    ],
  },
  'docs/guides/sandbox.md#agents-experiment-in-the-sandbox': {
    cases: [
      { tool: 'sandbox.apply', expect: { ...ALLOW, deciding_rule: 'agents-experiment-in-the-sandbox' } },
      { tool: 'sandbox.exec', expect: ALLOW },
      { tool: 'qa.runTests', expect: ALLOW },
      { tool: 'scaffold.module', expect: ALLOW },
      { tool: 'sandbox.apply', actor: 'human:alice', expect: ASK },
      { tool: 'drush.configImport', expect: ASK },
    ],
  },
  'packs/drupal/policy/sandbox.yaml#sandbox-loop': {
    cases: [
      {
        tool: 'sandbox.apply',
        expect: {
          decision: 'ALLOW_WITH_CONSTRAINTS',
          deciding_rule: 'sandbox-loop',
          constraints: { timeout_ms: 900000 },
        },
      },
      { tool: 'qa.runTests', expect: { decision: 'ALLOW_WITH_CONSTRAINTS' } },
      { tool: 'sandbox.init', expect: ASK },
      { tool: 'drush.configImport', expect: ASK },
      { tool: 'drush.status', expect: ALLOW },
      { tool: 'config.set', actor: 'human:alice', expect: { ...ALLOW, deciding_rule: 'people-set-config' } },
      { tool: 'policy.rollback', expect: DENY },
    ],
  },
}

interface Snippet {
  key: string
  text: string
}

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name)
    if (statSync(full).isDirectory()) return name === 'node_modules' ? [] : markdownFiles(full)
    return name.endsWith('.md') ? [full] : []
  })
}

const isPolicy = (text: string) =>
  /kind:\s*PolicyBundle/.test(text) ||
  /decision:\s*(ALLOW|DENY|REQUIRE_APPROVAL|ALLOW_WITH_CONSTRAINTS)\b/.test(text)

function snippets(): Snippet[] {
  const out: Snippet[] = []
  const files = [
    path.join(REPO, 'README.md'),
    ...markdownFiles(path.join(REPO, 'docs')),
    ...markdownFiles(path.join(REPO, 'packs')),
    ...readdirSync(path.join(REPO, 'plugins')).flatMap((p) => {
      const readme = path.join(REPO, 'plugins', p, 'README.md')
      return statSync(readme, { throwIfNoEntry: false }) ? [readme] : []
    }),
  ]
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/^```ya?ml\n([\s\S]*?)^```/gm))
      if (isPolicy(m[1]!)) out.push(keyed(file, m[1]!))
  }
  for (const pack of readdirSync(path.join(REPO, 'packs'))) {
    const dir = path.join(REPO, 'packs', pack, 'policy')
    if (!statSync(dir, { throwIfNoEntry: false })) continue
    for (const f of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)))
      out.push(keyed(path.join(dir, f), readFileSync(path.join(dir, f), 'utf8'), true))
  }
  return out
}

// Named by the first rule that is the snippet's own (a pack file's `reads` etc. are not skipped).
function keyed(file: string, text: string, whole = false): Snippet {
  const ids = [...text.matchAll(/^\s*- id:\s*([\w.-]+)/gm)].map((m) => m[1]!)
  const id = whole ? (ids.find((i) => i !== 'reads') ?? ids[0]) : ids[0]
  return { key: `${path.relative(REPO, file)}#${id ?? '?'}`, text }
}

function asBundle(text: string): string {
  if (/kind:\s*PolicyBundle/.test(text)) return text
  return `apiVersion: driftcore/v1\nkind: PolicyBundle\nname: snippet\nrules:\n${text}`
}

function besideDefault(snippet: Snippet, others: readonly Snippet[] = []): CompiledPolicy {
  const parsed = [
    parseBundleSource(DEFAULT_BUNDLE_YAML, 'policy/default.yaml'),
    ...[...others, snippet].map((s) => parseBundleSource(asBundle(s.text), s.key)),
  ]
  checkBundlesCompose(parsed)
  return new CompiledPolicy(ruleSources(parsed.map((p) => p.bundle)), { version: 1, hash: 'docs' })
}

const found = snippets()

describe('policy snippets in the docs and packs', () => {
  it('each has an entry saying what it must decide, and each entry still has its snippet', () => {
    const keys = found.map((s) => s.key)
    expect(
      keys.filter((k) => !(k in SNIPPETS)),
      'snippets without an entry in SNIPPETS',
    ).toEqual([])
    expect(
      Object.keys(SNIPPETS).filter((k) => !keys.includes(k)),
      'entries whose snippet is gone',
    ).toEqual([])
    expect(new Set(keys).size, 'two snippets start with the same rule id').toBe(keys.length)
  })

  for (const snippet of found) {
    const entry = SNIPPETS[snippet.key]
    if (!entry) continue
    it(`${snippet.key} decides what its page promises beside the shipped default`, () => {
      if ('excerpt' in entry) {
        const shipped = parseBundleSource(DEFAULT_BUNDLE_YAML, 'default').bundle.rules
        const quoted = parseBundleSource(asBundle(snippet.text), 'snippet').bundle.rules
        const strip = ({ description: _d, ...rule }: PolicyRule) => rule
        for (const rule of quoted) expect(strip(rule)).toEqual(strip(shipped.find((r) => r.id === rule.id)!))
        return
      }
      const others = (entry.with ?? []).map((key) => found.find((s) => s.key === key)!)
      if (entry.refused) {
        expect(() => besideDefault(snippet, others)).toThrow(`${snippet.key}:11:5: ${entry.refused}`)
        return
      }
      const policy = besideDefault(snippet, others)
      const tools = Object.entries(TOOLS).map(([id, t]) => ({
        id,
        capability: t.capability,
        risk_tags: t.risk,
      }))
      const own = policy.shadowed(tools).filter((w) => w.bundle !== 'default')
      expect(
        own.map((w) => w.rule),
        'ALLOW rules that can never decide',
      ).toEqual(entry.shadowed ?? [])
      for (const c of entry.cases) {
        const tool = TOOLS[c.tool]!
        const [type, id] = (c.actor ?? 'agent:claude').split(':') as [string, string]
        const decision = policy.evaluate({
          tool: { id: c.tool, capability: tool.capability, risk_tags: tool.risk },
          input: c.input ?? {},
          actor: { type, id },
          environment: c.env ?? 'dev',
        })
        expect(decision, `${c.tool} by ${type}:${id}${c.env ? ` in ${c.env}` : ''}`).toMatchObject(c.expect)
      }
    })
  }

  it('the tools the table names have the risk tags the installed tools declare', async () => {
    const project = await tempProject()
    try {
      const listed = json<{ id: string; capability: string; risk: string[] }[]>(
        await runCli(project, ['tools', 'list', '--json']),
      )
      for (const [id, t] of Object.entries(TOOLS))
        expect(
          listed.find((l) => l.id === id),
          id,
        ).toMatchObject({ capability: t.capability, risk: t.risk })
    } finally {
      await project.cleanup()
    }
  })
})
