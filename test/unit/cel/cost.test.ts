import { describe, expect, it } from 'vitest'
import { compileCel } from '../../../src/cel/compile.js'
import { estimateCelCost } from '../../../src/cel/cost.js'

const VARS = ['inputs', 'request'] as const
const estimate = (expression: string, bound?: (path: readonly string[]) => number | undefined) =>
  // compiled with tiny bounds so the load-time check passes, then estimated with the real ones
  estimateCelCost(compileCel(expression, VARS, 'test', bound ? { bound: () => 1 } : {}).ast, bound)

describe('the load-time estimate of what a CEL expression can cost', () => {
  it('counts a comprehension over a list literal as its length times its body', () => {
    const cost = estimate('[1, 2, 3].all(x, x > 0)')
    expect(cost.unboundedDepth).toBe(0)
    // three iterations of a three-node body, plus the list and its elements
    expect(cost.steps).toBeGreaterThanOrEqual(3 * 3)
    expect(cost.steps).toBeLessThan(30)
  })

  it('grows as the power of the nesting over a bounded input (maxItems)', () => {
    const bound = (path: readonly string[]) => (path.join('.') === 'inputs.xs' ? 100 : undefined)
    const two = estimate('inputs.xs.all(a, inputs.xs.all(b, a + b >= 0))', bound)
    const three = estimate('inputs.xs.all(a, inputs.xs.all(b, inputs.xs.all(c, a + b + c >= 0)))', bound)
    expect(two.steps).toBeGreaterThan(100 * 100)
    expect(three.steps).toBeGreaterThan(100 * 100 * 100)
    expect(three.unboundedDepth).toBe(0)
  })

  it('counts how deep comprehensions over lists of unknown size nest, and names the outer one', () => {
    const cost = estimate('request.input.items.all(x, request.input.items.exists(y, x == y))')
    expect(cost.steps).toBeUndefined()
    expect(cost.unboundedDepth).toBe(2)
    expect(cost.unboundedList).toBe('request.input.items')
    expect(estimate('request.input.items.map(x, x * 2).all(y, y > 0)').unboundedDepth).toBe(1)
    expect(estimate('size(request.input.items) > 2').unboundedDepth).toBe(0)
  })
})

describe('compileCel refuses what can only end at the run-time budget', () => {
  it('refuses comprehensions nested three deep over unbounded data, naming the place and the list', () => {
    expect(() =>
      compileCel(
        'request.input.xs.all(a, request.input.xs.all(b, request.input.xs.all(c, a + b + c >= 0)))',
        VARS,
        'policy/p.yaml:7:11',
      ),
    ).toThrow(/policy\/p\.yaml:7:11: .*comprehensions over request\.input\.xs nest 3 deep/)
  })

  it('refuses a bounded expression whose worst case is over the step budget, with both numbers', () => {
    const bound = () => 1000
    expect(() =>
      compileCel('inputs.xs.all(a, inputs.xs.all(b, a + b >= 0))', VARS, 'w.yaml:3:5', { bound }),
    ).toThrow(/w\.yaml:3:5: .* can cost \d+ steps, over limits\.cel_max_steps \(1000000\)/)
    expect(() =>
      compileCel('inputs.xs.all(a, inputs.xs.all(b, a + b >= 0))', VARS, 'w.yaml:3:5', { bound: () => 100 }),
    ).not.toThrow()
  })
})

describe('a policy bundle', () => {
  it("refuses, at the rule's file:line, a condition that nests three deep over an agent's input", async () => {
    const { parseBundle } = await import('../../../src/policy/bundle.js')
    const text = `apiVersion: driftcore/v1
kind: PolicyBundle
name: p
rules:
  - id: slow
    decision: DENY
    match: { tools: ['*'] }
    when: 'request.input.xs.all(a, request.input.xs.all(b, request.input.xs.all(c, a == b && b == c)))'
`
    expect(() => parseBundle(text, 'policy/p.yaml')).toThrow(/policy\/p\.yaml:8:\d+.*nest 3 deep/)
  })
})
