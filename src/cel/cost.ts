/**
 * A static estimate of what an expression can cost, made when it is loaded so that a condition
 * whose cost explodes with its data is refused by `validate` instead of failing at run time.
 * Like Kubernetes' CEL cost estimator, the estimate needs a bound on every list a comprehension
 * walks: a list literal bounds itself, a workflow input bounds itself with `maxItems`; a list
 * from anywhere else (a request's input, a step's output) has no bound the loader can know.
 */

interface Node {
  op: string
  args: unknown
}

/** The bound of the list at `path` (e.g. `['inputs', 'xs']`), or undefined when unknown. */
export type ListBound = (path: readonly string[]) => number | undefined

export interface CelCost {
  /** Steps in the worst case, when every list it walks is bounded; otherwise undefined. */
  steps: number | undefined
  /** How deep comprehensions over unbounded lists nest: the power the cost grows with. */
  unboundedDepth: number
  /** Text of the first unbounded list walked at that depth, for the message. */
  unboundedList: string | undefined
}

/** Unbounded nesting this deep is refused: cubic growth in data the author does not control. */
export const MAX_UNBOUNDED_DEPTH = 2

const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'map', 'filter'])

function isNode(value: unknown): value is Node {
  return value !== null && typeof value === 'object' && typeof (value as Node).op === 'string'
}

function children(node: Node): Node[] {
  const out: Node[] = []
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(collect)
    else if (isNode(value)) out.push(value)
  }
  collect(node.args)
  return out
}

// `inputs.a.b` → ['inputs', 'a', 'b']; anything computed → undefined.
function pathOf(node: Node): string[] | undefined {
  if (node.op === 'id' && typeof node.args === 'string') return [node.args]
  if (node.op === '.' && Array.isArray(node.args)) {
    const [target, member] = node.args as [unknown, unknown]
    const base = isNode(target) ? pathOf(target) : undefined
    return base && typeof member === 'string' ? [...base, member] : undefined
  }
  return undefined
}

interface Estimate {
  steps: number | undefined
  depth: number
  list: string | undefined
}

/** Estimates a parsed expression's worst-case cost (see `CelCost`). */
export function estimateCelCost(ast: unknown, bound: ListBound = () => undefined): CelCost {
  const sizeOf = (node: Node): number | undefined => {
    if (node.op === 'list') return children(node).length
    if (node.op === 'rcall' && Array.isArray(node.args)) {
      const [name, receiver] = node.args as [unknown, unknown]
      // map and filter return at most as many elements as they walk.
      if ((name === 'map' || name === 'filter') && isNode(receiver)) return sizeOf(receiver)
      return undefined
    }
    const path = pathOf(node)
    return path ? bound(path) : undefined
  }
  const add = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : a + b
  const walk = (node: Node): Estimate => {
    if (node.op === 'rcall' && Array.isArray(node.args)) {
      const [name, receiver, args] = node.args as [unknown, unknown, unknown]
      if (typeof name === 'string' && COMPREHENSIONS.has(name) && isNode(receiver) && Array.isArray(args)) {
        const range = walk(receiver)
        const body = (args as unknown[]).filter(isNode).map(walk)
        const bodySteps = body.reduce<number | undefined>((sum, e) => add(sum, e.steps), 1)
        const inner = body.reduce((best, e) => (e.depth > best.depth ? e : best), {
          steps: 0,
          depth: 0,
          list: undefined,
        } as Estimate)
        const n = sizeOf(receiver)
        const steps = n === undefined || bodySteps === undefined ? undefined : add(range.steps, n * bodySteps)
        if (n !== undefined)
          return { steps, depth: Math.max(inner.depth, range.depth), list: inner.list ?? range.list }
        return {
          steps: undefined,
          depth: Math.max(inner.depth + 1, range.depth),
          list:
            inner.depth + 1 >= range.depth ? (pathOf(receiver)?.join('.') ?? 'a computed list') : range.list,
        }
      }
    }
    let steps: number | undefined = 1
    let deepest: Estimate = { steps: 0, depth: 0, list: undefined }
    for (const child of children(node)) {
      const e = walk(child)
      steps = add(steps, e.steps)
      if (e.depth > deepest.depth) deepest = e
    }
    return { steps, depth: deepest.depth, list: deepest.list }
  }
  if (!isNode(ast)) return { steps: 1, unboundedDepth: 0, unboundedList: undefined }
  const e = walk(ast)
  return { steps: e.steps, unboundedDepth: e.depth, unboundedList: e.list }
}
