import { describe, expect, it } from 'vitest'
import { buildDag, downstreamOf, upstreamOf } from '../../../../src/workflow/dag/graph.js'

const at = (path: readonly PropertyKey[]) => path.join('.')

describe('the step DAG', () => {
  it('orders steps after their dependencies and knows what is up- and downstream', () => {
    const dag = buildDag(
      [
        { id: 'd', depends_on: ['b', 'c'] },
        { id: 'b', depends_on: ['a'] },
        { id: 'c', depends_on: ['a'] },
        { id: 'a', depends_on: [] },
        { id: 'e', depends_on: [] },
      ],
      at,
    )
    expect(dag.order.indexOf('a')).toBeLessThan(dag.order.indexOf('b'))
    expect(dag.order.indexOf('c')).toBeLessThan(dag.order.indexOf('d'))
    expect([...downstreamOf('b', dag.dependents)].sort()).toEqual(['b', 'd'])
    expect([...upstreamOf('d', dag.dependencies)].sort()).toEqual(['a', 'b', 'c'])
  })

  it('names the cycle, including a step that depends on itself', () => {
    expect(() => buildDag([{ id: 'x', depends_on: ['x'] }], at)).toThrow('steps form a cycle: x → x')
    expect(() =>
      buildDag(
        [
          { id: 'ok', depends_on: [] },
          { id: 'p', depends_on: ['ok', 'q'] },
          { id: 'q', depends_on: ['p'] },
        ],
        at,
      ),
    ).toThrow('steps.1.depends_on: steps form a cycle: p → q → p')
  })

  it('suggests the step meant when a dependency is misspelt', () => {
    expect(() =>
      buildDag(
        [
          { id: 'build', depends_on: [] },
          { id: 't', depends_on: ['buil'] },
        ],
        at,
      ),
    ).toThrow(expect.objectContaining({ hint: 'did you mean build?' }))
  })
})
