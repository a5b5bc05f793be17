import { DriftcoreError } from '../../errors/driftcore-error.js'

export interface DagNode {
  id: string
  depends_on: readonly string[]
}

/** Names the place of a problem: `file:line:col` for a file, a path for a recorded definition. */
export type Locate = (path: readonly PropertyKey[]) => string

export interface Dag {
  /** Step ids in an order where every step comes after its dependencies. */
  order: string[]
  dependents: Map<string, string[]>
  dependencies: Map<string, string[]>
}

function invalid(message: string, hint?: string): DriftcoreError {
  return new DriftcoreError('invalid_input', message, hint ? { hint } : {})
}

/**
 * Checks that steps form a DAG: ids unique, every dependency a known step, no cycle (the
 * cycle is named, e.g. `a → b → a`, read "a depends on b…"). Returns a topological order and both edge directions.
 */
export function buildDag(nodes: readonly DagNode[], locate: Locate): Dag {
  const index = new Map<string, number>()
  nodes.forEach((node, i) => {
    const first = index.get(node.id)
    if (first !== undefined)
      throw invalid(`${locate(['steps', i, 'id'])}: duplicate step id "${node.id}" (also step #${first + 1})`)
    index.set(node.id, i)
  })
  const dependents = new Map<string, string[]>(nodes.map((n) => [n.id, []]))
  const dependencies = new Map<string, string[]>()
  nodes.forEach((node, i) => {
    const seen = new Set<string>()
    node.depends_on.forEach((dep, j) => {
      if (!index.has(dep)) {
        const near = [...index.keys()].filter((id) => id.includes(dep) || dep.includes(id)).slice(0, 3)
        throw invalid(
          `${locate(['steps', i, 'depends_on', j])}: step "${node.id}" depends on unknown step "${dep}"`,
          near.length > 0 ? `did you mean ${near.join(', ')}?` : `steps: ${[...index.keys()].join(', ')}`,
        )
      }
      if (seen.has(dep)) return
      seen.add(dep)
      dependents.get(dep)!.push(node.id)
    })
    dependencies.set(node.id, [...seen])
  })
  const cycle = findCycle(nodes, dependencies)
  if (cycle) {
    const at = index.get(cycle[0]!)!
    throw invalid(
      `${locate(['steps', at, 'depends_on'])}: steps form a cycle: ${cycle.join(' → ')} (→: depends on)`,
      'a workflow is a DAG: remove one of these dependencies',
    )
  }
  return { order: topologicalOrder(nodes, dependencies, dependents), dependents, dependencies }
}

// Iterative DFS with colours; the grey path at the moment a grey node is met again is the cycle.
function findCycle(nodes: readonly DagNode[], dependencies: Map<string, string[]>): string[] | undefined {
  const colour = new Map<string, 'grey' | 'black'>()
  for (const start of nodes) {
    if (colour.has(start.id)) continue
    const path: string[] = []
    const stack: { id: string; next: number }[] = [{ id: start.id, next: 0 }]
    colour.set(start.id, 'grey')
    path.push(start.id)
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!
      const deps = dependencies.get(top.id)!
      if (top.next < deps.length) {
        const dep = deps[top.next++]!
        const c = colour.get(dep)
        if (c === 'grey') return [...path.slice(path.indexOf(dep)), dep]
        if (c === undefined) {
          colour.set(dep, 'grey')
          path.push(dep)
          stack.push({ id: dep, next: 0 })
        }
      } else {
        colour.set(top.id, 'black')
        path.pop()
        stack.pop()
      }
    }
  }
  return undefined
}

function topologicalOrder(
  nodes: readonly DagNode[],
  dependencies: Map<string, string[]>,
  dependents: Map<string, string[]>,
): string[] {
  const remaining = new Map(nodes.map((n) => [n.id, dependencies.get(n.id)!.length]))
  const queue = nodes.filter((n) => remaining.get(n.id) === 0).map((n) => n.id)
  const order: string[] = []
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!
    order.push(id)
    for (const next of dependents.get(id)!) {
      const left = remaining.get(next)! - 1
      remaining.set(next, left)
      if (left === 0) queue.push(next)
    }
  }
  return order
}

/** Every step reachable through dependents of `id`, `id` included. */
export function downstreamOf(id: string, dependents: Map<string, string[]>): Set<string> {
  const out = new Set<string>([id])
  const queue = [id]
  while (queue.length > 0) {
    for (const next of dependents.get(queue.pop()!) ?? []) {
      if (!out.has(next)) {
        out.add(next)
        queue.push(next)
      }
    }
  }
  return out
}

/** Every step `id` depends on, directly or not. */
export function upstreamOf(id: string, dependencies: Map<string, string[]>): Set<string> {
  const out = new Set<string>()
  const queue = [...(dependencies.get(id) ?? [])]
  while (queue.length > 0) {
    const next = queue.pop()!
    if (out.has(next)) continue
    out.add(next)
    queue.push(...(dependencies.get(next) ?? []))
  }
  return out
}
