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

type Evaluator = (ctx: ExprContext) => unknown

const NO_NAMES: ReadonlySet<string> = new Set()

/**
 * Compiles every string in `value` that holds `${{ }}`. A string that is one whole expression
 * takes the expression's value and type; a string with text around expressions stays a string.
 *
 * A workflow keeps its templates for the whole run, one or more per step, so what they hold is
 * what a run holds per step: each evaluator is made by a module-level function and captures only
 * the values it evaluates (never the compiler's scope: `where`, the step's compile closures, the
 * workflow's id set), and a template without expressions is just its value.
 */
export function compileTemplate(
  value: unknown,
  where: (path: readonly PropertyKey[]) => string,
  path: readonly PropertyKey[] = [],
  bound?: ListBound,
): Template {
  const refs: ExprRefs = { steps: new Set(), env: new Set() }
  const build = (node: unknown, at: readonly PropertyKey[]): Evaluator | undefined => {
    if (typeof node === 'string') return compileString(node, at)
    if (Array.isArray(node)) {
      const items = node as unknown[]
      const parts = items.map((item, i) => build(item, [...at, i]))
      if (parts.every((p) => p === undefined)) return undefined
      return arrayEvaluator(items, parts)
    }
    if (node !== null && typeof node === 'object') {
      const entries = Object.entries(node).map(([k, v]) => [k, v, build(v, [...at, k])] as const)
      if (entries.every(([, , p]) => p === undefined)) return undefined
      return objectEvaluator(entries)
    }
    return undefined
  }
  const compileString = (text: string, at: readonly PropertyKey[]): Evaluator | undefined => {
    if (!text.includes('${{')) return undefined
    const here = where(at)
    const whole = WHOLE.exec(text)
    if (whole && !whole[1]!.includes('}}'))
      return wholeEvaluator(compileExpression(whole[1]!.trim(), here, refs, bound), `${here}: ${text}`)
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
    return textEvaluator(pieces, `${here}: ${text}`)
  }
  const evaluate = build(value, path)
  if (evaluate === undefined) return new ConstantTemplate(value)
  return {
    evaluate,
    steps: refs.steps.size > 0 ? refs.steps : (NO_NAMES as Set<string>),
    env: refs.env.size > 0 ? refs.env : (NO_NAMES as Set<string>),
    constant: false,
  }
}

/**
 * A template that holds no expression: its value, as given. Most steps of a big generated
 * workflow have a constant `with`; as one small object a step it costs a third of an object
 * holding a closure and its scope (50,000 steps: 7 MB).
 */
export class ConstantTemplate implements Template {
  constructor(readonly value: unknown) {}

  evaluate(_context?: ExprContext): unknown {
    return this.value
  }

  get steps(): Set<string> {
    return NO_NAMES as Set<string>
  }

  get env(): Set<string> {
    return NO_NAMES as Set<string>
  }

  get constant(): boolean {
    return true
  }
}

function wholeEvaluator(program: CelProgram, what: string): Evaluator {
  return (ctx) => evaluateCel(program, ctx, what)
}

function textEvaluator(pieces: readonly (string | CelProgram)[], what: string): Evaluator {
  return (ctx) =>
    pieces.map((p) => (typeof p === 'string' ? p : stringify(evaluateCel(p, ctx, what)))).join('')
}

function arrayEvaluator(items: readonly unknown[], parts: readonly (Evaluator | undefined)[]): Evaluator {
  return (ctx) => parts.map((p, i): unknown => (p ? p(ctx) : items[i]))
}

function objectEvaluator(entries: readonly (readonly [string, unknown, Evaluator | undefined])[]): Evaluator {
  return (ctx) => Object.fromEntries(entries.map(([k, v, p]) => [k, p ? p(ctx) : v]))
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
