import { compilePattern } from './regex.js'

/**
 * What one evaluation of an expression (or one policy decision, all its conditions together)
 * may cost: every node evaluated is a step (so each iteration of a macro such as `all` or `map`
 * costs the size of its body), and `matches` costs the size of its pattern's program plus one
 * step per 16 characters of input. A policy
 * condition that is cheap to write but quadratic over an agent's input
 * (`request.input.items.all(x, request.input.items.all(y, …))`) stops here instead of holding
 * the gate. The clock is a backstop for operations whose cost grows with the data they read.
 */
export const CEL_STEP_BUDGET = 1_000_000
export const CEL_TIME_BUDGET_MS = 1_000

// The budget in force: the defaults above, or the project's `limits.cel_max_steps|cel_max_ms`.
let budget = { steps: CEL_STEP_BUDGET, ms: CEL_TIME_BUDGET_MS }

/** Sets the budget of every evaluation this process makes from now on (the kernel, from config). */
export function setCelBudget(next: { steps: number; ms: number }): void {
  budget = { ...next }
}

/** The budget in force, for the load-time estimate (`compileCel`). */
export function celBudget(): { steps: number; ms: number } {
  return { ...budget }
}

/** The evaluation went over its budget; it is sticky, so no CEL operator can absorb it. */
export class CelBudgetExceeded extends Error {}

interface Meter {
  steps: number
  readonly limit: number
  readonly ms: number
  readonly deadline: number
  nextClock: number
  exceeded: CelBudgetExceeded | undefined
}

let current: Meter | undefined

function overrun(meter: Meter): never {
  if (!meter.exceeded) {
    meter.exceeded =
      meter.steps > meter.limit
        ? new CelBudgetExceeded(`CEL cost budget exceeded: more than ${meter.limit} steps`)
        : new CelBudgetExceeded(`CEL cost budget exceeded: more than ${meter.ms} ms`)
  }
  throw meter.exceeded
}

/** Adds to the running evaluation's cost; throws once it is over budget. */
export function charge(steps: number): void {
  const meter = current
  if (!meter) return
  meter.steps += steps
  if (meter.exceeded || meter.steps > meter.limit) overrun(meter)
  if (meter.steps >= meter.nextClock) {
    meter.nextClock = meter.steps + 4096
    if (performance.now() > meter.deadline) overrun(meter)
  }
}

function newMeter(limit: number): Meter {
  return {
    steps: 0,
    limit,
    ms: budget.ms,
    deadline: performance.now() + budget.ms,
    nextClock: 4096,
    exceeded: undefined,
  }
}

/**
 * Runs one evaluation under a budget: its own, or the one of an enclosing `sharedBudget` (a
 * policy decision, whose rules' conditions share one). Evaluation is synchronous, so there is
 * one meter at a time.
 */
export function metered<T>(evaluate: () => T, limit = budget.steps): { value: T; steps: number } {
  const outer = current
  const meter = outer ?? newMeter(limit)
  current = meter
  try {
    const value = evaluate()
    // `a || b` and `list.exists(…)` may absorb an error into a result: an overrun still counts.
    if (meter.exceeded) throw meter.exceeded
    return { value, steps: meter.steps }
  } catch (error) {
    throw meter.exceeded ?? error
  } finally {
    current = outer
  }
}

/** Runs `work` with one budget for every expression it evaluates; it never throws for it. */
export function sharedBudget<T>(work: () => T, limit = budget.steps): T {
  if (current) return work()
  current = newMeter(limit)
  try {
    return work()
  } finally {
    current = undefined
  }
}

type Evaluate = (this: unknown, ev: unknown, ast: unknown, ctx: unknown) => unknown

interface AstNode {
  op: string
  args: unknown
  readonly meta: { evaluate: Evaluate; alternate?: AstNode; macro?: { evaluate: Evaluate } & object }
  evaluate: Evaluate
  handle?: (args: unknown[], ev: unknown, ast: unknown) => unknown
}

// Where the library keeps the nodes a macro expands to (comprehensions, has(), cel.bind).
const NESTED_KEYS = ['iterable', 'init', 'step', 'condition', 'args', 'macroHasProps', 'val', 'exp', 'ast']

/**
 * Makes a checked expression count its cost and match patterns with RE2. The CEL library
 * offers no hook for either and refuses a second `string.matches` overload, so this reaches
 * into the checked tree: each node's `evaluate` is wrapped (the library's own dispatch,
 * repeated), and each `matches` call's `handle` is replaced. `compileCel` proves at start-up
 * that this still works with the installed library version (see `selfTest`).
 */
export function instrument(root: unknown, onPattern: (pattern: string) => void): void {
  const proto = Object.getPrototypeOf(root) as object
  const seen = new Set<object>()
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== 'object' || seen.has(value)) return
    seen.add(value)
    if (Array.isArray(value)) {
      for (const item of value) visit(item)
      return
    }
    if (Object.getPrototypeOf(value) === proto) {
      const node = value as AstNode
      meterNode(node)
      if (isMatchesCall(node)) {
        const pattern = (node.args as [string, AstNode, AstNode[]])[2][0]!
        if (pattern.op === 'value' && typeof pattern.args === 'string') onPattern(pattern.args)
        node.handle = matchesHandle
      }
      visit(node.args)
      visit(node.meta.alternate)
      visit(node.meta.macro)
      return
    }
    const record = value as Record<string, unknown>
    for (const key of NESTED_KEYS) visit(record[key])
  }
  visit(root)
}

function meterNode(node: AstNode): void {
  const { alternate, macro, evaluate } = node.meta
  const inner: Evaluate = alternate
    ? (ev, _ast, ctx) => alternate.evaluate(ev, alternate, ctx)
    : macro
      ? (ev, _ast, ctx) => macro.evaluate(ev, macro, ctx)
      : evaluate
  node.evaluate = function (ev, ast, ctx) {
    charge(1)
    return inner.call(this, ev, ast, ctx)
  }
}

function isMatchesCall(node: AstNode): boolean {
  if (node.op !== 'rcall' || !Array.isArray(node.args)) return false
  const [name, , args] = node.args as unknown[]
  return name === 'matches' && Array.isArray(args) && args.length === 1
}

function matchesHandle(args: unknown[]): boolean {
  const [text, pattern] = args
  if (typeof text !== 'string' || typeof pattern !== 'string') {
    throw new TypeError(`found no matching overload for '${typeName(text)}.matches(${typeName(pattern)})'`)
  }
  const compiled = compilePattern(pattern)
  charge(compiled.size + Math.ceil(text.length / 16))
  return compiled.test(text)
}

function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'list'
  return typeof value === 'object' ? 'map' : typeof value
}
