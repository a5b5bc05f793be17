import { createRequire } from 'node:module'
import type * as Cel from '@marcbachmann/cel-js'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { celBudget, instrument, metered } from './budget.js'
import { estimateCelCost, MAX_UNBOUNDED_DEPTH, type ListBound } from './cost.js'
import { compilePattern } from './regex.js'

// CEL is loaded on first use (synchronously, through require of an ES module, Node >= 22.12):
// most commands never evaluate an expression and should not pay for loading the library.
let celLibrary: typeof Cel | undefined
function cel(): typeof Cel {
  celLibrary ??= createRequire(import.meta.url)('@marcbachmann/cel-js') as typeof Cel
  return celLibrary
}

export interface CelProgram {
  (context: Record<string, unknown>): unknown
  /** The parsed expression, for callers that check what it refers to (see `celReferences`). */
  readonly ast: unknown
}

const environments = new Map<string, Cel.Environment>()

// One environment per variable set: declaring the variables lets CEL reject a typo such as
// `reqest.tool.id` when the expression is loaded instead of when it first runs.
function environmentFor(variables: readonly string[]): Cel.Environment {
  const key = variables.join(',')
  let env = environments.get(key)
  if (!env) {
    env = new (cel().Environment)({
      homogeneousAggregateLiterals: false,
      limits: { maxAstNodes: 5000, maxDepth: 100 },
    })
    for (const name of variables) env.registerVariable(name, 'dyn')
    if (environments.size === 0) selfTest(env)
    environments.set(key, env)
  }
  return env
}

/**
 * Compiles a CEL expression once. `where` names its place (file:line:col) for the error a user
 * sees when it does not parse, refers to an unknown variable, holds a pattern RE2 refuses or can
 * cost more than the budget (see `checkCost`). Each evaluation runs under the cost budget of
 * `budget.ts`; going over it throws.
 */
export function compileCel(
  expression: string,
  variables: readonly string[],
  where: string,
  options: { bound?: ListBound } = {},
): CelProgram {
  const env = environmentFor(variables)
  let parsed: ReturnType<Cel.Environment['parse']>
  try {
    parsed = env.parse(expression)
    const check = parsed.check()
    if (!check.valid) throw check.error ?? new Error('expression does not type-check')
  } catch (error) {
    throw invalid(expression, variables, where, error)
  }
  checkCost(parsed.ast, expression, where, options.bound)
  const program = parsed
  try {
    instrument(program.ast, (pattern) => compilePattern(pattern))
    return Object.assign(
      (context: Record<string, unknown>) => metered(() => program(context) as unknown).value,
      {
        ast: program.ast,
      },
    )
  } catch (error) {
    throw invalid(expression, variables, where, error)
  }
}

function invalid(
  expression: string,
  variables: readonly string[],
  where: string,
  error: unknown,
): DriftcoreError {
  return new DriftcoreError(
    'invalid_input',
    `${where}: invalid CEL expression "${expression}": ${firstLine(error)}`,
    {
      hint: `variables available here: ${variables.join(', ')}`,
      cause: error,
    },
  )
}

// The run-time budget stops any evaluation, but an expression that can only end there is a
// mistake its author should hear about when it is loaded, not the first time the data is large.
function checkCost(ast: unknown, expression: string, where: string, bound: ListBound | undefined): void {
  const cost = estimateCelCost(ast, bound)
  if (cost.unboundedDepth > MAX_UNBOUNDED_DEPTH)
    throw new DriftcoreError(
      'invalid_input',
      `${where}: "${expression}": comprehensions over ${cost.unboundedList} nest ${cost.unboundedDepth} deep, so its cost grows as n^${cost.unboundedDepth} with data no one bounds`,
      {
        hint: `nest at most ${MAX_UNBOUNDED_DEPTH} deep over unbounded lists, or bound the list (a workflow input's maxItems)`,
      },
    )
  const { steps } = celBudget()
  if (cost.steps !== undefined && cost.steps > steps)
    throw new DriftcoreError(
      'invalid_input',
      `${where}: "${expression}" can cost ${cost.steps} steps, over limits.cel_max_steps (${steps})`,
      { hint: 'make the expression cheaper, or lower the maxItems bounds it walks' },
    )
}

// The budget and RE2 reach into the library's checked tree (see `instrument`). Should another
// version of the library evaluate differently, every expression must fail rather than run
// unmetered on the JS regex engine. `(a)\1` is a backreference: JS accepts it, RE2 refuses it.
function selfTest(env: Cel.Environment): void {
  const run = (expression: string): { value: unknown; steps: number } => {
    const program = env.parse(expression)
    if (!program.check().valid) return { value: undefined, steps: 0 }
    instrument(program.ast, () => undefined)
    return metered(() => program({}) as unknown)
  }
  let works = false
  try {
    const probe = run(`[1, 2].all(x, x > 0) && 'aa'.matches('^a+$')`)
    works = probe.value === true && probe.steps >= 8
    run(`'aa'.matches('(a)\\1')`)
    works = false
  } catch {
    // RE2 refused the backreference: `matches` runs on RE2.
  }
  if (!works) {
    throw new DriftcoreError(
      'internal',
      'the installed CEL library evaluates differently than driftcore expects: expressions cannot be metered or matched with RE2',
      { hint: 'install the @marcbachmann/cel-js version in package-lock.json (npm ci)' },
    )
  }
}

export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.split('\n')[0] ?? message
}

/** CEL ints are BigInts; JSON has no such thing. */
export function celToJson(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value)
  if (Array.isArray(value)) return value.map(celToJson)
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), celToJson(v)]))
  if (
    value !== null &&
    typeof value === 'object' &&
    !(value instanceof Uint8Array) &&
    !(value instanceof Date)
  ) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, celToJson(v)]))
  }
  return value
}
