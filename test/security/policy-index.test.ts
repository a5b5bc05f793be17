import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseBundle } from '../../src/policy/bundle.js'
import { CANDIDATE_CACHE_SIZE, CompiledPolicy, type PolicyRequest } from '../../src/policy/engine.js'
import { json, runCli, tempProject, type TempProject } from '../helpers/project.js'

/**
 * The policy engine finds a tool's rules through an index of its globs' literal prefixes and a
 * bounded cache. An agent picks the tool ids it asks about (any resource URI, any tool name):
 * it tries ids that sit where a prefix index could go wrong (negations, braces, a leading
 * `./`, picomatch's own quirks), and floods the cache with distinct ids so the rule it wants
 * gone is forgotten. Every deny must still deny, naming its rule.
 */

const BUNDLE = `apiVersion: driftcore/v1
kind: PolicyBundle
name: secops
rules:
  - id: agents-may
    decision: ALLOW
    match: { tools: ['**'], actors: { types: [agent] } }
  - id: only-these-tools
    decision: DENY
    match: { tools: ['!{drush.status,audit.*,resource:docs://**,sandbox.*,abb/*,gitea.*}'] }
  - id: no-config-writes
    decision: DENY
    match: { tools: ['{sandbox,drush}.config{Import,Set}'] }
  - id: no-dot-slash
    decision: DENY
    match: { tools: ['./gitea.*'] }
  - id: quirk
    decision: DENY
    match: { tools: ['a.b/***'] }
  - id: no-secret-resources
    decision: DENY
    match: { tools: ['resource:docs://**/secrets/**'] }
`

let project: TempProject
beforeAll(async () => {
  project = await tempProject({ policy: { 'secops.yaml': BUNDLE } })
})
afterAll(() => project.cleanup())

const simulate = async (tool: string) =>
  json<{ decision: string; deciding_rule: string | null }>(
    await runCli(project, [
      'policy',
      'simulate',
      '--tool',
      tool,
      '--risk',
      'read',
      '--actor',
      'agent:rogue',
      '--json',
    ]),
  )

describe('an agent choosing tool ids to slip past a deny rule', () => {
  it('is denied by the rule each id matches, through the CLI', async () => {
    const cases: [string, string][] = [
      ['drush.configExport', 'only-these-tools'], // outside a negation
      ['sandbox.configSet', 'no-config-writes'], // inside braces
      ['gitea.pr.create', 'no-dot-slash'], // picomatch drops the glob's leading ./
      ['abb/x', 'quirk'], // picomatch leaves the `.` of a.b/*** unescaped
      ['resource:docs://guides/secrets/key', 'no-secret-resources'],
    ]
    for (const [tool, rule] of cases) {
      const decision = await simulate(tool)
      expect(decision, tool).toMatchObject({ decision: 'DENY', deciding_rule: rule })
    }
    expect(await simulate('drush.status')).toMatchObject({ decision: 'ALLOW' })
  })

  it('cannot make the engine forget a deny by flooding it with distinct ids', () => {
    const policy = new CompiledPolicy(
      parseBundle(BUNDLE, 'secops.yaml').rules.map((rule) => ({ bundle: 'secops', rule })),
      { version: 1, hash: 'flood' },
    )
    const ask = (id: string): PolicyRequest => ({
      tool: { id, capability: 'x', risk_tags: ['read'], requires: [] },
      input: {},
      actor: { type: 'agent', id: 'rogue' },
      environment: 'dev',
    })
    expect(policy.evaluate(ask('sandbox.configSet')).deciding_rule).toBe('no-config-writes')
    // Long ids too: an agent-chosen resource URI is not kept, whatever its length.
    for (let i = 0; i < CANDIDATE_CACHE_SIZE * 3; i++)
      policy.evaluate(ask(i % 2 ? `resource:docs://${'x'.repeat(i % 5000)}/${i}` : `sandbox.t${i}`))
    expect(policy.evaluate(ask('sandbox.configSet'))).toMatchObject({
      decision: 'DENY',
      deciding_rule: 'no-config-writes',
    })
    expect(policy.evaluate(ask('abb/x')).deciding_rule).toBe('quirk')
  })
})
