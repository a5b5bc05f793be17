import { describe, expect, it } from 'vitest'
import { CEL_STEP_BUDGET } from '../../../src/cel/budget.js'
import { compileCel } from '../../../src/cel/compile.js'
import { CompiledPolicy, type RuleSource } from '../../../src/policy/engine.js'

const vars = ['request'] as const
const items = Array.from({ length: 1200 }, (_, i) => BigInt(i))

describe('CEL matches() and the cost budget', () => {
  it('matches() is RE2: a partial match, with RE2 syntax', () => {
    const find = compileCel(`request.s.matches('b+c')`, vars, 'test')
    expect(find({ request: { s: 'abbbcd' } })).toBe(true)
    expect(find({ request: { s: 'acd' } })).toBe(false)
    const dynamic = compileCel(`request.s.matches(request.p)`, vars, 'test')
    expect(() => dynamic({ request: { s: 'aa', p: '(a)\\1' } })).toThrow(/RE2 syntax/)
    expect(() => dynamic({ request: { s: 1, p: 'a' } })).toThrow(/no matching overload/)
  })

  it('refuses a literal pattern RE2 does not accept when the expression is compiled', () => {
    expect(() => compileCel(`request.s.matches('(?=a)')`, vars, 'policy.yaml:3:9')).toThrow(
      /policy\.yaml:3:9: invalid CEL expression .*RE2 syntax/,
    )
  })

  it('stops a quadratic condition at its budget, even where || would absorb the error', () => {
    const quadratic = compileCel(
      `request.items.exists(x, request.items.all(y, y != x)) || true`,
      vars,
      'test',
    )
    expect(() => quadratic({ request: { items } })).toThrow(
      `CEL cost budget exceeded: more than ${CEL_STEP_BUDGET} steps`,
    )
    // The budget is per evaluation: the next one starts afresh.
    expect(quadratic({ request: { items: [1n, 2n] } })).toBe(true)
  })

  it('counts the steps of nested macros, not only the nodes written', () => {
    const nested = compileCel(`request.items.map(x, request.items.map(y, x + y)).size()`, vars, 'test')
    expect(() => nested({ request: { items } })).toThrow(/budget exceeded/)
    expect(nested({ request: { items: [1n, 2n, 3n] } })).toBe(3n)
  })

  it('gives a policy decision one budget for all its conditions, denying with the rule that went over', () => {
    const rule = (id: string): RuleSource => ({
      bundle: 'test',
      rule: {
        id,
        decision: 'ALLOW',
        match: {},
        when: 'request.input.items.map(x, request.input.items.map(y, y)).size() > 0',
      },
    })
    const decide = (rules: RuleSource[]) =>
      new CompiledPolicy(rules, { version: 1, hash: 'h' }).evaluate({
        tool: { id: 'x.y', capability: 'c', risk_tags: ['read'] },
        input: { items: Array.from({ length: 300 }, (_, i) => BigInt(i)) },
        actor: { type: 'agent', id: 'a' },
        environment: 'dev',
      })
    expect(decide([rule('one')]).decision).toBe('ALLOW')
    const many = decide(['r1', 'r2', 'r3', 'r4', 'r5', 'r6'].map(rule))
    expect(many.decision).toBe('DENY')
    expect(many.reason).toMatch(/^rule r\d: its condition could not be evaluated \(CEL cost budget exceeded/)
    expect(many.deciding_rule).not.toBe('r1')
  })
})
