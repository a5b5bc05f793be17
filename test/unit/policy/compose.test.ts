import { describe, expect, it } from 'vitest'
import { parseBundleSource } from '../../../src/policy/bundle.js'
import { checkBundlesCompose, ruleSources } from '../../../src/policy/compose.js'
import { DEFAULT_BUNDLE_YAML } from '../../../src/policy/default-bundle.js'
import { CompiledPolicy, type PolicyRequest } from '../../../src/policy/engine.js'

/** Loads bundles as a snapshot would (files in order, checked together), the shipped default first. */
function load(...texts: string[]): CompiledPolicy {
  const parsed = [DEFAULT_BUNDLE_YAML, ...texts].map((t, i) =>
    parseBundleSource(t, i === 0 ? 'default.yaml' : `b${i}.yaml`),
  )
  checkBundlesCompose(parsed)
  return new CompiledPolicy(ruleSources(parsed.map((p) => p.bundle)), { version: 1, hash: 'h' })
}

const bundle = (name: string, rules: string, head = '') =>
  `apiVersion: driftcore/v1\nkind: PolicyBundle\nname: ${name}\n${head}rules:\n${rules}`

function req(tool: string, risk: string[], actor = 'agent:claude', environment = 'dev'): PolicyRequest {
  const [type, id] = actor.split(':') as [string, string]
  return { tool: { id: tool, capability: 'x', risk_tags: risk }, input: {}, actor: { type, id }, environment }
}

const refusal = (f: () => unknown): string => {
  try {
    f()
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('expected a refusal')
}

describe('overrides: a project relaxes a shipped rule for named tools and actors', () => {
  it('an ALLOW rule that overrides approve-write-exec for one tool decides for that tool only', () => {
    const p = load(
      bundle(
        'workflows',
        '  - id: allow-notify\n    decision: ALLOW\n    overrides: [approve-write-exec]\n    match: { tools: [workflow.notify] }\n',
      ),
    )
    const notify = p.explain(req('workflow.notify', ['write', 'network']))
    expect(notify.decision).toMatchObject({ decision: 'ALLOW', deciding_rule: 'allow-notify' })
    expect(notify.decision.rule_ids).toEqual(['approve-write-exec', 'allow-notify'])
    const shipped = notify.rules.find((r) => r.id === 'approve-write-exec')!
    expect(shipped).toMatchObject({ outcome: 'overridden', overridden_by: 'allow-notify' })
    expect(shipped.why).toContain('overridden by rule workflows/allow-notify')
    expect(notify.rules.find((r) => r.id === 'allow-notify')).toMatchObject({ outcome: 'decided' })
    // Every other write tool still asks.
    expect(p.evaluate(req('drush.cacheRebuild', ['write'])).decision).toBe('REQUIRE_APPROVAL')
  })

  it('a rule that names an actor id relaxes only for that actor', () => {
    const p = load(
      bundle(
        'ci',
        '  - id: release-bot-rebuilds\n    decision: ALLOW\n    overrides: [approve-write-exec]\n    match:\n      tools: [drush.cacheRebuild]\n      actors: { ids: [release-bot] }\n',
      ),
    )
    expect(p.evaluate(req('drush.cacheRebuild', ['write'], 'ci:release-bot')).decision).toBe('ALLOW')
    expect(p.evaluate(req('drush.cacheRebuild', ['write'], 'ci:other')).decision).toBe('REQUIRE_APPROVAL')
  })

  it('a rule not named in overrides still counts: the most restrictive of the rest wins', () => {
    const p = load(
      bundle(
        'p',
        '  - id: no-prod\n    decision: DENY\n    match: { environments: [prod] }\n' +
          '  - id: relax\n    decision: ALLOW\n    overrides: [approve-write-exec]\n    match: { tools: [drush.cacheRebuild] }\n',
      ),
    )
    expect(p.evaluate(req('drush.cacheRebuild', ['write'])).decision).toBe('ALLOW')
    const prod = p.explain(req('drush.cacheRebuild', ['write'], 'agent:a', 'prod'))
    expect(prod.decision).toMatchObject({ decision: 'DENY', deciding_rule: 'no-prod' })
    expect(prod.rules.find((r) => r.id === 'relax')!.why).toBe(
      'less restrictive than p/no-prod (DENY); it does not override no-prod',
    )
  })

  it('an overridden rule’s constraints do not count; the overriding rule’s own do', () => {
    const p = load(
      bundle(
        'p',
        '  - id: slow\n    decision: ALLOW_WITH_CONSTRAINTS\n    match: { tools: [qa.runTests] }\n    constraints: { timeout_ms: 1000 }\n' +
          '  - id: qa\n    decision: ALLOW_WITH_CONSTRAINTS\n    overrides: [approve-write-exec, slow]\n    match: { tools: [qa.runTests] }\n    constraints: { timeout_ms: 900000 }\n',
      ),
    )
    expect(p.evaluate(req('qa.runTests', ['exec']))).toMatchObject({
      decision: 'ALLOW_WITH_CONSTRAINTS',
      constraints: { timeout_ms: 900000 },
    })
  })

  it('a condition that cannot be evaluated still denies, even on an overridden rule', () => {
    const p = load(
      bundle(
        'p',
        '  - id: careless\n    decision: REQUIRE_APPROVAL\n    match: { tools: [drush.cacheRebuild] }\n    when: request.input.x == 1\n' +
          '  - id: relax\n    decision: ALLOW\n    overrides: [careless, approve-write-exec]\n    match: { tools: [drush.cacheRebuild] }\n',
      ),
    )
    expect(p.evaluate(req('drush.cacheRebuild', ['write']))).toMatchObject({
      decision: 'DENY',
      deciding_rule: 'careless',
    })
  })
})

describe('final: a rule a security owner marks final is relaxed by nothing', () => {
  const secops = bundle(
    'secops',
    '  - id: no-agent-imports\n    decision: DENY\n    match:\n      tools: [drush.configImport]\n      actors: { types: [agent] }\n',
    'final: true\n',
  )

  it('an override of a final rule is refused at publish, naming the file, line and the final rule', () => {
    const message = refusal(() =>
      load(
        secops,
        bundle(
          'sneaky',
          '  - id: let-me\n    decision: ALLOW\n    overrides: [no-agent-imports]\n    match: { tools: [drush.configImport] }\n',
        ),
      ),
    )
    expect(message).toMatch(
      /^b2\.yaml:7:5: rule "let-me" overrides "no-agent-imports", which is final \(b1\.yaml:6:5, bundle "secops" is final\)/,
    )
  })

  it('the shipped default’s agent DENY rules are final', () => {
    const message = refusal(() =>
      load(
        bundle(
          'sneaky',
          '  - id: agents-roll-back\n    decision: ALLOW\n    overrides: [only-people-roll-back-policy]\n    match: { tools: [policy.rollback] }\n',
        ),
      ),
    )
    expect(message).toContain('overrides "only-people-roll-back-policy", which is final')
  })

  it('the engine keeps a final rule even if an override of it reached it', () => {
    const parsed = [
      secops,
      bundle(
        's',
        '  - id: let-me\n    decision: ALLOW\n    overrides: [no-agent-imports]\n    match: { tools: [drush.configImport] }\n',
      ),
    ].map((t, i) => parseBundleSource(t, `f${i}`))
    const p = new CompiledPolicy(ruleSources(parsed.map((x) => x.bundle)), { version: 1, hash: 'h' })
    const e = p.explain(req('drush.configImport', ['write']))
    expect(e.decision).toMatchObject({ decision: 'DENY', deciding_rule: 'no-agent-imports' })
    expect(e.rules.find((r) => r.id === 'no-agent-imports')).toMatchObject({
      outcome: 'decided',
      final: true,
    })
    expect(e.rules.find((r) => r.id === 'let-me')!.why).toContain(
      "no-agent-imports is final, so this rule's override of it does not apply",
    )
  })

  it('refuses final where it keeps nothing, and final: false inside a final bundle', () => {
    expect(refusal(() => load(bundle('p', '  - id: a\n    decision: ALLOW\n    final: true\n')))).toMatch(
      /^b1\.yaml:7:5: rule "a": final on an ALLOW rule without constraints keeps nothing/,
    )
    expect(
      refusal(() => load(bundle('p', '  - id: a\n    decision: DENY\n    final: false\n', 'final: true\n'))),
    ).toContain('final: false in bundle "p", which is final')
  })
})

describe('what overrides may name', () => {
  const one = (rule: string) => refusal(() => load(bundle('p', rule)))

  it('refuses a relaxing rule that matches by wildcard, capability, risk tag or actor type', () => {
    for (const match of [
      "{ tools: ['sandbox.*'] }",
      "{ tools: ['!drush.status'] }",
      '{ capabilities: [sandbox.write] }',
      '{ risk_tags: [write] }',
      '{ actors: { types: [agent] } }',
      "{ actors: { ids: ['bot-*'] } }",
    ]) {
      expect(
        one(`  - id: wide\n    decision: ALLOW\n    overrides: [approve-write-exec]\n    match: ${match}\n`),
      ).toMatch(/^b1\.yaml:7:5: rule "wide": a rule that overrides others must name its tools/)
    }
  })

  it('refuses an unknown rule, itself, and chains', () => {
    expect(
      one('  - id: a\n    decision: ALLOW\n    overrides: [approve-writes]\n    match: { tools: [x.y] }\n'),
    ).toContain('overrides "approve-writes", which no bundle in .driftcore/policy/ defines')
    expect(
      one('  - id: a\n    decision: ALLOW\n    overrides: [a]\n    match: { tools: [x.y] }\n'),
    ).toContain('cannot override itself')
    expect(
      one(
        '  - id: a\n    decision: ALLOW\n    overrides: [approve-write-exec]\n    match: { tools: [x.y] }\n' +
          '  - id: b\n    decision: ALLOW\n    overrides: [a]\n    match: { tools: [x.y] }\n',
      ),
    ).toContain('overrides "a", which overrides other rules itself')
  })

  it('refuses a second bundle of the same name and a rule id already used', () => {
    expect(refusal(() => load(bundle('default', '  - id: z\n    decision: DENY\n')))).toContain(
      'bundle name "default" is already used by default.yaml',
    )
    expect(refusal(() => load(bundle('p', '  - id: allow-read-only\n    decision: DENY\n')))).toMatch(
      /^b1\.yaml:5:5: duplicate rule id "allow-read-only", already used in default\.yaml:\d+:5/,
    )
  })
})

describe('shadowed ALLOW rules', () => {
  const tools = [
    { id: 'workflow.notify', capability: 'workflow.notify', risk_tags: ['write', 'network'] },
    { id: 'drush.status', capability: 'drupal.read', risk_tags: ['read'] },
    { id: 'config.set', capability: 'config.write', risk_tags: ['write'] },
  ]

  it('warns about an ALLOW rule that a more restrictive rule always outranks, and says how to fix it', () => {
    const p = load(
      bundle(
        'workflows',
        '  - id: allow-notify\n    decision: ALLOW\n    match: { tools: [workflow.notify] }\n',
      ),
    )
    expect(p.shadowed(tools)).toEqual([
      expect.objectContaining({
        rule: 'allow-notify',
        by: 'approve-write-exec',
        message: expect.stringContaining('add overrides: [approve-write-exec] to allow-notify'),
      }),
    ])
  })

  it('says so when the rule in the way is final', () => {
    const p = load(
      bundle(
        'p',
        '  - id: agents-add-keys\n    decision: ALLOW\n    match:\n      tools: [approvers.add]\n      actors: { types: [agent] }\n',
      ),
    )
    expect(
      p.shadowed([{ id: 'approvers.add', capability: 'approvers.write', risk_tags: ['write'] }])[0]?.message,
    ).toContain('only-people-change-approvers is final, so nothing can relax it')
  })

  it('the shipped default alone, and a rule that overrides, warn about nothing', () => {
    expect(load().shadowed(tools)).toEqual([])
    const p = load(
      bundle(
        'w',
        '  - id: allow-notify\n    decision: ALLOW\n    overrides: [approve-write-exec]\n    match: { tools: [workflow.notify] }\n',
      ),
    )
    expect(p.shadowed(tools)).toEqual([])
  })

  it('a narrower rule that is outranked only sometimes is not a warning', () => {
    const p = load(
      bundle(
        'p',
        '  - id: humans-in-dev\n    decision: ALLOW\n    match: { tools: [drush.status] }\n' +
          '  - id: prod-asks\n    decision: REQUIRE_APPROVAL\n    match: { environments: [prod] }\n',
      ),
    )
    expect(p.shadowed(tools)).toEqual([])
  })
})
