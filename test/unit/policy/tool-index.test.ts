import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import picomatch from 'picomatch'
import { describe, expect, it } from 'vitest'
import { parseBundleSource, type PolicyRule } from '../../../src/policy/bundle.js'
import { ruleSources } from '../../../src/policy/compose.js'
import { DEFAULT_BUNDLE_YAML } from '../../../src/policy/default-bundle.js'
import {
  CANDIDATE_CACHE_SIZE,
  CompiledPolicy,
  type PolicyRequest,
  type RuleSource,
} from '../../../src/policy/engine.js'
import { Lru } from '../../../src/policy/lru.js'
import { anyOf, isLiteralGlob } from '../../../src/policy/match.js'
import { literalPrefix, ToolIndex } from '../../../src/policy/tool-index.js'
import { REPO } from '../../helpers/project.js'

/**
 * The prefix index must never change a decision: for every input, a policy that finds its
 * candidate rules through the index decides exactly what the linear scan (every rule's globs,
 * as before the index) and `explain` (which walks every rule) decide. Checked over the shipped
 * bundle, every policy snippet in the docs and packs, and generated bundles whose globs use
 * every picomatch feature a hostile or careless author could reach for.
 */

// A small seeded PRNG (mulberry32), so a failure is reproducible from the seed in its name.
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!

// Words close enough to each other that generated globs and ids often meet.
const WORDS = ['a', 'ab', 'b', 'drush', 'sandbox', 'config', 'x.y', 'a.b', 'c-d', 'e_f', '1']
const GLOB_PARTS = [
  ...WORDS,
  '.',
  '*',
  '**',
  '?',
  '{a,b}',
  '{drush,sandbox}.*',
  '[a-c]',
  '[!a]',
  '[^b]',
  '[[:alpha:]]',
  '@(a|b)',
  '+(a)',
  '*(b)',
  '?(x)',
  '!(a)',
  '/',
  '/**',
  '\\*',
  '\\.',
  ':',
  'resource:',
  '(a|b)',
  '$',
  '^',
  ' ',
  'é',
]

function randomGlob(r: () => number): string {
  const n = 1 + Math.floor(r() * 4)
  let glob = Array.from({ length: n }, () => pick(r, GLOB_PARTS)).join('')
  if (r() < 0.1) glob = `!${glob}`
  if (r() < 0.05) glob = `./${glob}`
  return glob
}

function randomId(r: () => number): string {
  const n = 1 + Math.floor(r() * 4)
  const parts = [...WORDS, '.', '/', '-', '_', ':', '*', 'x', 'é', './', 'resource:docs://g/']
  return Array.from({ length: n }, () => pick(r, parts)).join('')
}

// Ids made from a glob (its wildcards filled in), so most globs have ids they match.
function idsFor(glob: string, r: () => number): string[] {
  const fill = () =>
    glob
      .replace(/^!|^\.\//, '')
      .replace(/\*\*|\*|\?/g, () => pick(r, ['', 'a', 'x.y', 'b/c', 'z']))
      .replace(/\{([^}]*)\}/g, (_, alts: string) => pick(r, alts.split(',')))
      .replace(/\[[^\]]*\]/g, () => pick(r, ['a', 'b', 'z']))
      .replace(/[@+!]?\(([^)]*)\)/g, (_, alts: string) => pick(r, alts.split('|')))
      .replace(/\\/g, '')
  return [fill(), fill(), glob, glob.replace(/\/\*\*$/, '')]
}

describe('the tool prefix index', () => {
  it('finds every rule whose glob picomatch matches to a tool id (generated globs)', () => {
    const r = rng(16)
    const globs = Array.from({ length: 600 }, () => randomGlob(r))
    const lists = globs.map((g) => [g])
    const index = new ToolIndex(lists)
    const ids = [...globs.flatMap((g) => idsFor(g, r)), ...Array.from({ length: 600 }, () => randomId(r))]
    const matchers = globs.map((g) => picomatch(g, { dot: true }))
    let matches = 0
    const missed: string[] = []
    for (const id of ids) {
      const found = new Set(index.candidates(id))
      matchers.forEach((match, i) => {
        if (!match(id)) return
        matches++
        if (!found.has(i)) missed.push(`glob ${JSON.stringify(globs[i])} matches ${JSON.stringify(id)}`)
      })
    }
    expect(missed).toEqual([])
    // The generator must produce real matches, or the check above proves nothing.
    expect(matches).toBeGreaterThan(2_000)
  })

  it('matches a list of globs exactly as picomatch does, literal globs compared as text (generated globs)', () => {
    const r = rng(61)
    const lists = Array.from({ length: 400 }, () =>
      Array.from({ length: 1 + Math.floor(r() * 3) }, () => (r() < 0.4 ? pick(r, WORDS) : randomGlob(r))),
    )
    // Values an agent controls (actor ids, environments) as well as tool ids.
    const odd = ['', '.', '..', '/', 'a/', '/a', 'a\n', 'A', 'a ', ' a', 'a.b/', './a', 'a.b\u2028']
    let literals = 0
    let matches = 0
    const differ: string[] = []
    for (const list of lists) {
      literals += list.filter(isLiteralGlob).length
      const ours = anyOf(list)
      const theirs = list.map((g) => picomatch(g, { dot: true }))
      const ids = [...list.flatMap((g) => idsFor(g, r)), ...odd]
      for (const id of [...ids, ...Array.from({ length: 10 }, () => randomId(r))]) {
        const expected = theirs.some((m) => m(id))
        if (expected) matches++
        if (ours(id) !== expected)
          differ.push(`${JSON.stringify(list)} on ${JSON.stringify(id)}: picomatch ${expected}`)
      }
    }
    expect(differ).toEqual([])
    expect(literals).toBeGreaterThan(100)
    expect(matches).toBeGreaterThan(500)
  })

  it('matches `prefix*` globs (compared as a prefix, not run as an expression) exactly as picomatch does', () => {
    const globs = ['plugin7.*', 'drush.*', 'a:b*', 'x-y_z*', '1*', 'a*', 'resource:*', 'a.b.*', 'a**', '.a*']
    const values = [
      '',
      '.',
      '/',
      '*',
      '..',
      'a',
      'A',
      'a/',
      'a\n',
      'a\nb/',
      'a b',
      'a.',
      'a./',
      'a..',
      'a.b.',
    ]
    let matches = 0
    const differ: string[] = []
    for (const glob of globs) {
      const prefix = glob.replace(/\*+$/, '')
      const ours = anyOf([glob])
      const theirs = picomatch(glob, { dot: true })
      for (const tail of values)
        for (const value of [
          tail,
          prefix + tail,
          prefix.toUpperCase() + tail,
          `${prefix}x/${tail}`,
          `./${prefix}${tail}`,
        ]) {
          if (theirs(value)) matches++
          if (ours(value) !== theirs(value))
            differ.push(`${glob} on ${JSON.stringify(value)}: picomatch ${theirs(value)}`)
        }
    }
    expect(differ).toEqual([])
    expect(matches).toBeGreaterThan(80)
  })

  it('reads a glob as literal only when picomatch would match nothing but its text', () => {
    for (const glob of ['drush.status', 'config.set', 'a-b_c:d', 'human', '1'])
      expect(isLiteralGlob(glob)).toBe(true)
    for (const glob of ['.hidden', './a', '!human', 'a*', 'a?', '{a,b}', 'a/b', '[a]', 'a b', '@(a)', 'é'])
      expect(isLiteralGlob(glob)).toBe(false)
  })

  it('returns candidates in bundle order, each rule once', () => {
    const index = new ToolIndex([['ab*', 'a*'], undefined, ['abc'], ['a*', 'ab*', 'abc']])
    expect(index.candidates('abc')).toEqual([0, 1, 2, 3])
    expect(index.candidates('b')).toEqual([1])
  })

  it('takes no prefix from a glob that can match more than its text says', () => {
    expect(literalPrefix('./drush.status')).toBe('')
    expect(literalPrefix('!drush.*')).toBe('')
    expect(literalPrefix('drush/**')).toBe('drush')
    expect(literalPrefix('drush.{a,b}')).toBe('drush.')
    expect(literalPrefix('dr\\ush')).toBe('dr')
    expect(literalPrefix('@(a|b)')).toBe('')
    // picomatch compiles `.` before `***` unescaped: a.b/*** matches abb/c.
    expect(literalPrefix('a.b/***')).toBe('a')
    expect(literalPrefix('plugin7.*')).toBe('plugin7.')
  })
})

// ---- decisions: indexed against linear, over real and generated bundles ----

const TOOLS = [
  { id: 'drush.status', capability: 'drupal.read', risk_tags: ['read'] },
  { id: 'drush.configImport', capability: 'drupal.config.write', risk_tags: ['write'] },
  { id: 'sandbox.exec', capability: 'sandbox.exec', risk_tags: ['exec', 'write'] },
  { id: 'sandbox.apply', capability: 'sandbox.write', risk_tags: ['write'] },
  { id: 'config.set', capability: 'config.write', risk_tags: ['write'] },
  { id: 'policy.rollback', capability: 'policy.write', risk_tags: ['write'] },
  { id: 'approvers.add', capability: 'approvers.write', risk_tags: ['write'] },
  { id: 'workflow.notify', capability: 'workflow.notify', risk_tags: ['write', 'network'] },
  { id: 'gitea.pr.create', capability: 'forge.write', risk_tags: ['network', 'write'] },
  { id: 'audit.query', capability: 'audit.read', risk_tags: ['read'] },
  { id: 'resource:driftcore://docs/guides/policy', capability: 'resource.read', risk_tags: ['read'] },
  { id: 'nothing.declared', capability: 'x', risk_tags: [] },
]
const ACTORS = [
  { type: 'agent', id: 'claude-code/1a2b3c4d' },
  { type: 'agent', id: 'release-bot' },
  { type: 'human', id: 'alice' },
  { type: 'human', id: 'ops' },
  { type: 'ci', id: 'ci' },
] as const
const ENVIRONMENTS = ['dev', 'prod', 'staging']
const INPUTS: unknown[] = [{}, { force: true }, { path: 'modules/custom/a.php', site: 's1' }, { x: [1, 2] }]

// Every tool id a bundle names literally (and near misses of it), plus the known tools.
function toolIdsOf(sources: readonly RuleSource[], r: () => number): string[] {
  const ids = new Set(TOOLS.map((t) => t.id))
  for (const s of sources)
    for (const glob of s.rule.match.tools ?? []) for (const id of idsFor(glob, r)) if (id) ids.add(id)
  for (const id of [...ids]) {
    ids.add(`${id}x`)
    ids.add(id.slice(0, -1) || 'z')
  }
  return [...ids]
}

function requests(ids: readonly string[], r: () => number): PolicyRequest[] {
  const out: PolicyRequest[] = []
  for (const id of ids) {
    const tool = TOOLS.find((t) => t.id === id) ?? pick(r, TOOLS)
    for (let k = 0; k < 3; k++)
      out.push({
        tool: { id, capability: tool.capability, risk_tags: tool.risk_tags, requires: [] },
        input: pick(r, INPUTS),
        actor: pick(r, ACTORS),
        environment: pick(r, ENVIRONMENTS),
      })
  }
  return out
}

function expectSameDecisions(sources: readonly RuleSource[], seed: number): number {
  const snapshot = { version: 1, hash: 'diff' }
  const indexed = new CompiledPolicy(sources, snapshot)
  const linear = new CompiledPolicy(sources, snapshot, { index: false })
  const r = rng(seed)
  let decided = 0
  for (const request of requests(toolIdsOf(sources, r), r)) {
    const want = linear.evaluate(request)
    const got = indexed.evaluate(request)
    expect(
      got,
      `${request.tool.id} as ${request.actor.type}:${request.actor.id} in ${request.environment}`,
    ).toEqual(want)
    // Twice: the second decision comes from the candidate cache.
    expect(indexed.evaluate(request)).toEqual(want)
    expect(indexed.explain(request).decision).toEqual(want)
    if (want.deciding_rule !== null) decided++
  }
  return decided
}

const parse = (text: string, file: string) => parseBundleSource(text, file).bundle

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name)
    if (statSync(full).isDirectory()) return name === 'node_modules' ? [] : markdownFiles(full)
    return name.endsWith('.md') ? [full] : []
  })
}

// The policy snippets of the docs and packs (as doc-snippets.test.ts finds them), each a bundle.
function docBundles(): { key: string; text: string }[] {
  const out: { key: string; text: string }[] = []
  const asBundle = (text: string) =>
    /kind:\s*PolicyBundle/.test(text)
      ? text
      : `apiVersion: driftcore/v1\nkind: PolicyBundle\nname: snippet\nrules:\n${text}`
  for (const file of [
    path.join(REPO, 'README.md'),
    ...markdownFiles(path.join(REPO, 'docs')),
    ...markdownFiles(path.join(REPO, 'packs')),
  ]) {
    const text = readFileSync(file, 'utf8')
    let n = 0
    for (const m of text.matchAll(/^```ya?ml\n([\s\S]*?)^```/gm))
      if (
        /kind:\s*PolicyBundle|decision:\s*(ALLOW|DENY|REQUIRE_APPROVAL|ALLOW_WITH_CONSTRAINTS)\b/.test(m[1]!)
      )
        out.push({ key: `${path.relative(REPO, file)}#${n++}`, text: asBundle(m[1]!) })
  }
  for (const pack of readdirSync(path.join(REPO, 'packs'))) {
    const dir = path.join(REPO, 'packs', pack, 'policy')
    if (!statSync(dir, { throwIfNoEntry: false })) continue
    for (const f of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)))
      out.push({ key: `packs/${pack}/policy/${f}`, text: readFileSync(path.join(dir, f), 'utf8') })
  }
  return out
}

// A bundle of generated rules: random globs, actor/environment/risk criteria, conditions,
// constraints, exact-named rules that override others, and final rules.
function generatedBundle(seed: number, count: number): RuleSource[] {
  const r = rng(seed)
  const decisions = ['ALLOW', 'ALLOW_WITH_CONSTRAINTS', 'REQUIRE_APPROVAL', 'DENY'] as const
  const rules: RuleSource[] = []
  for (let i = 0; i < count; i++) {
    const match: PolicyRule['match'] = {}
    if (r() < 0.85)
      match.tools = Array.from({ length: 1 + Math.floor(r() * 3) }, () =>
        r() < 0.3 ? pick(r, TOOLS).id : randomGlob(r),
      )
    if (r() < 0.2) match.risk_tags = r() < 0.5 ? ['write'] : { only: ['read'] }
    if (r() < 0.2) match.actors = { types: [pick(r, ['agent', 'human', 'ci'])] }
    if (r() < 0.1)
      match.actors = { ...match.actors, ids: [pick(r, ['claude-code/*', 'alice', 'release-bot'])] }
    if (r() < 0.2) match.environments = [pick(r, ['prod', 'dev', '{dev,staging}'])]
    const rule: PolicyRule = { id: `g${seed}-${i}`, decision: pick(r, decisions), match }
    if (r() < 0.15)
      rule.when = pick(r, [
        'has(request.input.force)',
        'request.environment == "prod"',
        'request.input.x[5] == 1',
      ])
    if (r() < 0.2) rule.constraints = { timeout_ms: 1000 + Math.floor(r() * 5) * 1000 }
    if (r() < 0.1) rule.final = true
    // An exact-named rule overriding an earlier one that is neither final nor overriding.
    const targets = rules.filter((s) => !s.final && !s.rule.overrides)
    if (r() < 0.15 && targets.length > 0) {
      rule.match.tools = [pick(r, TOOLS).id]
      rule.overrides = [pick(r, targets).rule.id]
      delete rule.final
    }
    rules.push({ bundle: `gen${seed}`, rule, final: rule.final === true })
  }
  return rules
}

describe('policy decisions with the prefix index', () => {
  it('are those of the linear scan for the shipped default bundle', () => {
    const sources = ruleSources([parse(DEFAULT_BUNDLE_YAML, 'policy/default.yaml')])
    expect(expectSameDecisions(sources, 1)).toBeGreaterThan(0)
  })

  it('are those of the linear scan for every policy snippet in the docs and packs, beside the default', () => {
    const snippets = docBundles()
    expect(snippets.length).toBeGreaterThan(5)
    let checked = 0
    for (const [i, s] of snippets.entries()) {
      let bundle
      try {
        bundle = parse(s.text, s.key)
      } catch {
        continue // a snippet the docs show refused
      }
      const sources = ruleSources([
        parse(DEFAULT_BUNDLE_YAML, 'policy/default.yaml'),
        { ...bundle, name: `s${i}` },
      ])
      expectSameDecisions(sources, 100 + i)
      checked++
    }
    expect(checked).toBeGreaterThan(5)
  })

  it('are those of the linear scan for generated bundles (globs, negation, braces, classes, overrides, final)', () => {
    for (let seed = 1; seed <= 12; seed++) expectSameDecisions(generatedBundle(seed, 40), seed)
  })

  it('stay right when more tool ids are decided than the cache holds', () => {
    const sources = generatedBundle(99, 60)
    const snapshot = { version: 1, hash: 'lru' }
    const indexed = new CompiledPolicy(sources, snapshot)
    const linear = new CompiledPolicy(sources, snapshot, { index: false })
    const r = rng(7)
    const base = toolIdsOf(sources, r)
    const request = (id: string): PolicyRequest => ({
      tool: { id, capability: 'x', risk_tags: ['write'], requires: [] },
      input: {},
      actor: ACTORS[0],
      environment: 'dev',
    })
    // Fill the cache past its size with fresh ids, then decide the first ones again.
    for (let i = 0; i < CANDIDATE_CACHE_SIZE * 1.5; i++) indexed.evaluate(request(`${pick(r, base)}${i}`))
    for (const id of base) expect(indexed.evaluate(request(id))).toEqual(linear.evaluate(request(id)))
  })
})

describe('the candidate cache', () => {
  it('holds at most its capacity and keeps what was used recently', () => {
    const lru = new Lru<number, number>(10)
    for (let i = 0; i < 100; i++) {
      lru.set(i, i)
      lru.get(0) // used on every step: never dropped
      expect(lru.size).toBeLessThanOrEqual(10)
    }
    expect(lru.get(0)).toBe(0)
    expect(lru.get(99)).toBe(99)
    expect(lru.get(50)).toBeUndefined()
  })
})
