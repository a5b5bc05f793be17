import { createRequire } from 'node:module'
import type * as Cel from '@marcbachmann/cel-js'
import { DriftcoreError } from '../errors/driftcore-error.js'

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
    environments.set(key, env)
  }
  return env
}

/**
 * Compiles a CEL expression once. `where` names its place (file:line:col) for the error a user
 * sees when it does not parse or refers to an unknown variable.
 */
export function compileCel(expression: string, variables: readonly string[], where: string): CelProgram {
  const env = environmentFor(variables)
  try {
    const program = env.parse(expression)
    const check = program.check()
    if (!check.valid) throw check.error ?? new Error('expression does not type-check')
    return Object.assign((context: Record<string, unknown>) => program(context) as unknown, {
      ast: program.ast,
    })
  } catch (error) {
    throw new DriftcoreError(
      'invalid_input',
      `${where}: invalid CEL expression "${expression}": ${firstLine(error)}`,
      {
        hint: `variables available here: ${variables.join(', ')}`,
        cause: error,
      },
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
