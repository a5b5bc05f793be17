import { describe, expect, it } from 'vitest'
import { parseBundle, type PolicyRule } from '../../../src/policy/bundle.js'
import { mergeConstraints } from '../../../src/policy/constraints.js'
import { CompiledPolicy, type PolicyRequest } from '../../../src/policy/engine.js'

const snapshot = { version: 7, hash: 'abc123' }

function policy(rules: Partial<PolicyRule>[]): CompiledPolicy {
  return new CompiledPolicy(
    rules.map((r, i) => ({
      bundle: 'test',
      rule: { id: `r${i}`, match: {}, decision: 'ALLOW', ...r },
    })),
    snapshot,
  )
}

function request(
  overrides: Partial<Omit<PolicyRequest, 'tool'>> & { risk?: string[]; tool?: string } = {},
): PolicyRequest {
  return {
    tool: {
      id: overrides.tool ?? 'drush.status',
      capability: 'drupal.read',
      risk_tags: overrides.risk ?? ['read'],
      requires: [],
    },
    input: overrides.input ?? {},
    actor: overrides.actor ?? { type: 'agent', id: 'copilot' },
    environment: overrides.environment ?? 'dev',
  }
}

describe('policy decisions', () => {
  it('denies by default when no rule matches, naming no rule', () => {
    const d = policy([{ match: { tools: ['gitea.*'] } }]).evaluate(request())
    expect(d).toMatchObject({
      decision: 'DENY',
      deciding_rule: null,
      rule_ids: [],
      reason: 'no rule matched: denied by default',
    })
    expect(d.snapshot).toEqual(snapshot)
  })

  it.each([
    [['ALLOW', 'DENY'], 'DENY'],
    [['ALLOW', 'REQUIRE_APPROVAL'], 'REQUIRE_APPROVAL'],
    [['REQUIRE_APPROVAL', 'DENY'], 'DENY'],
    [['ALLOW_WITH_CONSTRAINTS', 'ALLOW'], 'ALLOW_WITH_CONSTRAINTS'],
    [['ALLOW_WITH_CONSTRAINTS', 'REQUIRE_APPROVAL'], 'REQUIRE_APPROVAL'],
    [['ALLOW', 'ALLOW'], 'ALLOW'],
  ] as const)('when %j all match, the most restrictive wins: %s', (decisions, expected) => {
    const d = policy(decisions.map((decision) => ({ decision }))).evaluate(request())
    expect(d.decision).toBe(expected)
    expect(d.rule_ids).toEqual(['r0', 'r1'])
    expect(d.deciding_rule).toBe(`r${(decisions as readonly string[]).indexOf(expected)}`)
  })

  it('matches tool globs, capabilities, actors and environments', () => {
    const p = policy([
      { id: 'tools', match: { tools: ['drush.*'] } },
      { id: 'cap', match: { capabilities: ['drupal.*'] } },
      { id: 'agents', match: { actors: { types: ['agent'] } } },
      { id: 'alice', match: { actors: { ids: ['alice'] } } },
      { id: 'prod', match: { environments: ['prod*'] } },
    ])
    expect(p.evaluate(request()).rule_ids).toEqual(['tools', 'cap', 'agents'])
    expect(
      p.evaluate(
        request({ tool: 'gitea.repo', actor: { type: 'human', id: 'alice' }, environment: 'production' }),
      ).rule_ids,
    ).toEqual(['cap', 'alice', 'prod'])
  })

  it('matches risk tags by any, all, none and only (only needs at least one tag)', () => {
    const p = policy([
      { id: 'any', match: { risk_tags: ['write', 'exec'] } },
      { id: 'all', match: { risk_tags: { all: ['write', 'prod'] } } },
      { id: 'none', match: { risk_tags: { none: ['network'] } } },
      { id: 'only', match: { risk_tags: { only: ['read'] } } },
    ])
    expect(p.evaluate(request({ risk: ['read'] })).rule_ids).toEqual(['none', 'only'])
    expect(p.evaluate(request({ risk: ['write', 'prod'] })).rule_ids).toEqual(['any', 'all', 'none'])
    expect(p.evaluate(request({ risk: ['read', 'network'] })).rule_ids).toEqual([])
    expect(p.evaluate(request({ risk: [] })).rule_ids).toEqual(['none'])
  })

  it('applies a CEL condition over the request', () => {
    const p = policy([
      { id: 'prod-input', decision: 'DENY', when: 'has(request.input.env) && request.input.env == "prod"' },
      { id: 'base' },
    ])
    expect(p.evaluate(request({ input: { env: 'prod' } })).decision).toBe('DENY')
    expect(p.evaluate(request({ input: { env: 'dev' } })).decision).toBe('ALLOW')
    expect(p.evaluate(request({ input: {} })).decision).toBe('ALLOW')
  })

  it('denies when a condition cannot be evaluated, rather than letting the call through', () => {
    const p = policy([
      { id: 'careless', decision: 'REQUIRE_APPROVAL', when: 'request.input.env == "prod"' },
      { id: 'base' },
    ])
    const d = p.evaluate(request({ input: {} }))
    expect(d.decision).toBe('DENY')
    expect(d.deciding_rule).toBe('careless')
    expect(d.reason).toContain('could not be evaluated')
  })

  it('merges constraints from every matching rule to the tightest, and reports ALLOW with constraints', () => {
    const p = policy([
      {
        id: 'a',
        constraints: { timeout_ms: 30_000, max_output_bytes: 1000, deny_paths: ['/etc'], network: 'any' },
      },
      {
        id: 'b',
        decision: 'ALLOW_WITH_CONSTRAINTS',
        constraints: { timeout_ms: 5_000, max_retries: 2, deny_paths: ['/root'], network: 'none' },
      },
      { id: 'c', match: { tools: ['other.*'] }, constraints: { timeout_ms: 1 } },
    ])
    const d = p.evaluate(request())
    expect(d.decision).toBe('ALLOW_WITH_CONSTRAINTS')
    expect(d.constraints).toEqual({
      timeout_ms: 5_000,
      max_output_bytes: 1000,
      max_retries: 2,
      deny_paths: ['/etc', '/root'],
      network: 'none',
    })
  })

  it('reports ALLOW with constraints when an ALLOW rule carries constraints', () => {
    expect(policy([{ constraints: { cpu_seconds: 10 } }]).evaluate(request()).decision).toBe(
      'ALLOW_WITH_CONSTRAINTS',
    )
  })

  it('collects approvers from every REQUIRE_APPROVAL rule that names them', () => {
    const d = policy([
      { id: 'ops', decision: 'REQUIRE_APPROVAL', approvers: ['human:ops-*'] },
      { id: 'lead', decision: 'REQUIRE_APPROVAL', approvers: ['human:ops-lead', 'human:cto'] },
    ]).evaluate(request())
    expect(d.approvers).toEqual([['human:ops-*'], ['human:ops-lead', 'human:cto']])
  })

  it('explains every rule, matched or not, with the criterion that failed', () => {
    const p = policy([
      { id: 'wrong-tool', match: { tools: ['gitea.*'] } },
      { id: 'wrong-env', match: { environments: ['prod'] } },
      { id: 'yes', match: { tools: ['drush.*'], risk_tags: { only: ['read'] } } },
    ])
    const { decision, rules } = p.explain(request())
    expect(decision.decision).toBe('ALLOW')
    expect(rules.map((r) => [r.id, r.matched])).toEqual([
      ['wrong-tool', false],
      ['wrong-env', false],
      ['yes', true],
    ])
    expect(rules[0]!.because.join(' ')).toContain('does not match [gitea.*]')
    expect(rules[1]!.because.join(' ')).toContain('environment in [prod]: no')
  })
})

describe('constraint merging', () => {
  it('is symmetric and keeps only what either side set', () => {
    const a = { timeout_ms: 10, deny_paths: ['/a'] }
    const b = { timeout_ms: 5, memory_bytes: 100 }
    expect(mergeConstraints(a, b)).toEqual(mergeConstraints(b, a))
    expect(mergeConstraints(a, b)).toEqual({ timeout_ms: 5, memory_bytes: 100, deny_paths: ['/a'] })
    expect(mergeConstraints({}, {})).toEqual({})
  })
})

describe('bundle parsing', () => {
  const head = 'apiVersion: driftcore/v1\nkind: PolicyBundle\nname: t\nrules:\n'

  it('rejects a duplicate rule id at its line', () => {
    const text = `${head}  - id: same\n    decision: ALLOW\n  - id: same\n    decision: DENY\n`
    expect(() => parseBundle(text, 'b.yaml')).toThrow(/b\.yaml:7:5: duplicate rule id "same"/)
  })

  it('rejects an invalid CEL condition at its line', () => {
    const text = `${head}  - id: bad\n    decision: DENY\n    when: 'request.tool.id == '\n`
    expect(() => parseBundle(text, 'b.yaml')).toThrow(/b\.yaml:7:5: invalid CEL expression/)
  })

  it('rejects a condition over an unknown variable', () => {
    const text = `${head}  - id: typo\n    decision: DENY\n    when: 'reqest.tool.id == "x"'\n`
    expect(() => parseBundle(text, 'b.yaml')).toThrow(/invalid CEL expression/)
  })

  it('rejects unknown keys and decisions with positions', () => {
    const text = `${head}  - id: x\n    decision: MAYBE\n    matchh: {}\n`
    expect(() => parseBundle(text, 'b.yaml')).toThrow(
      /b\.yaml:6:15: rules\.0\.decision[\s\S]*b\.yaml:7:5: rules\.0\.matchh: unknown key "matchh"/,
    )
  })
})
