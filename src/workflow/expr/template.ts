import { celToJson, compileCel, type CelProgram } from '../../cel/compile.js'
import type { ListBound } from '../../cel/cost.js'
import { celReferences } from '../../cel/references.js'
import { DriftcoreError } from '../../errors/driftcore-error.js'

/** What `${{ }}` expressions and `when:` may name. */
export const WORKFLOW_VARIABLES = ['inputs', 'steps', 'run', 'env'] as const

export type ExprContext = Record<(typeof WORKFLOW_VARIABLES)[number], unknown>

/** A value with `${{ }}` inside, compiled once; `evaluate` returns plain JSON. */
export interface Template {
  evaluate(context: ExprContext): unknown
  /** Step ids and env names it refers to, for the loader's checks. */
  steps: Set<string>
  env: Set<string>
  /** True when it holds no expression: its value never changes. */
  constant: boolean
}

export interface ExprRefs {
  steps: Set<string>
  env: Set<string>
}

const EXPR = /\$\{\{([\s\S]*?)\}\}/g
const WHOLE = /^\$\{\{([\s\S]*?)\}\}$/

/** Compiles a CEL expression of a workflow and collects the steps and env names it uses. */
export function compileExpression(
  expression: string,
  where: string,
  refs: ExprRefs,
  bound?: ListBound,
  variables: readonly string[] = WORKFLOW_VARIABLES,
): CelProgram {
  const program = compileCel(expression, variables, where, bound ? { bound } : {})
  for (const ref of celReferences(program, 'steps')) {
    if (ref.name === undefined)
      throw new DriftcoreError('invalid_input', `${where}: "${expression}": name the step, as steps.<id>`, {
        hint: 'a step is named literally so the run knows what it depends on',
      })
    refs.steps.add(ref.name)
  }
  for (const ref of celReferences(program, 'env')) {
    if (ref.name === undefined)
      throw new DriftcoreError('invalid_input', `${where}: "${expression}": name the variable, as env.NAME`, {
        hint: 'only variables on workflow.env_allowlist are visible, each named literally',
      })
    refs.env.add(ref.name)
  }
  return program
}

/**
 * JSON values as CEL sees them: whole numbers become ints (BigInt) so `inputs.n * 2` works as
 * people expect; other numbers stay doubles. `celToJson` turns results back.
 */
export function jsonToCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value
  if (Array.isArray(value)) return value.map(jsonToCel)
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonToCel(v)]))
  return value
}

/** `when:` may be bare CEL or wrapped in `${{ }}`. */
export function unwrapExpression(text: string): string {
  const whole = WHOLE.exec(text.trim())
  return whole ? whole[1]!.trim() : text
}

export function evaluateCel(program: CelProgram, context: ExprContext, what: string): unknown {
  try {
    return celToJson(program(context))
  } catch (error) {
    throw new DriftcoreError(
      'invalid_input',
      `${what}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      { hint: 'use has(x.y) to test for a key that may be missing', cause: error },
    )
  }
}

/**
 * Compiles every string in `value` that holds `${{ }}`. A string that is one whole expression
 * takes the expression's value and type; a string with text around expressions stays a string.
 */
export function compileTemplate(
  value: unknown,
  where: (path: readonly PropertyKey[]) => string,
  path: readonly PropertyKey[] = [],
  bound?: ListBound,
): Template {
  const refs: ExprRefs = { steps: new Set(), env: new Set() }
  const build = (node: unknown, at: readonly PropertyKey[]): ((ctx: ExprContext) => unknown) | undefined => {
    if (typeof node === 'string') return compileString(node, at)
    if (Array.isArray(node)) {
      const items = node as unknown[]
      const parts = items.map((item, i) => build(item, [...at, i]))
      if (parts.every((p) => p === undefined)) return undefined
      return (ctx) => parts.map((p, i): unknown => (p ? p(ctx) : items[i]))
    }
    if (node !== null && typeof node === 'object') {
      const entries = Object.entries(node).map(([k, v]) => [k, v, build(v, [...at, k])] as const)
      if (entries.every(([, , p]) => p === undefined)) return undefined
      return (ctx) => Object.fromEntries(entries.map(([k, v, p]) => [k, p ? p(ctx) : v]))
    }
    return undefined
  }
  const compileString = (text: string, at: readonly PropertyKey[]) => {
    if (!text.includes('${{')) return undefined
    const here = where(at)
    const whole = WHOLE.exec(text)
    if (whole && !whole[1]!.includes('}}')) {
      const program = compileExpression(whole[1]!.trim(), here, refs, bound)
      return (ctx: ExprContext) => evaluateCel(program, ctx, `${here}: ${text}`)
    }
    const pieces: (string | CelProgram)[] = []
    let last = 0
    for (const match of text.matchAll(EXPR)) {
      pieces.push(text.slice(last, match.index))
      pieces.push(compileExpression(match[1]!.trim(), here, refs, bound))
      last = match.index + match[0].length
    }
    pieces.push(text.slice(last))
    if (text.slice(last).includes('${{'))
      throw new DriftcoreError('invalid_input', `${here}: "\${{" without a closing "}}"`)
    return (ctx: ExprContext) =>
      pieces
        .map((p) => (typeof p === 'string' ? p : stringify(evaluateCel(p, ctx, `${here}: ${text}`))))
        .join('')
  }
  const evaluate = build(value, path)
  return {
    evaluate: evaluate ?? (() => value),
    steps: refs.steps,
    env: refs.env,
    constant: evaluate === undefined,
  }
}

function stringify(value: unknown): string {
  if (typeof value === 'string') return value
  return JSON.stringify(value) ?? 'null'
}

/** The `run` variable of expressions. */
export function runContext(state: {
  run_id: string
  workflow_name: string
  actor: { type: string; id: string }
  created_at: string
}) {
  return { id: state.run_id, workflow: state.workflow_name, actor: state.actor, created_at: state.created_at }
}
