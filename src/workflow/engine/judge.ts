import { visible } from '../../approvals/display.js'
import { celToJson, compileCel } from '../../cel/compile.js'
import type { ToolVerdict } from '../../registry/types.js'
import { jsonToCel, type ExprContext } from '../expr/template.js'
import { EXPECT_VARIABLES, type Expectation } from '../format/compile.js'
import type { OnVerdict, StepVerdict } from '../journal/events.js'

/** Why a step whose call succeeded did not do its job; its journal error code is `unmet`. */
export interface Unmet {
  code: 'unmet'
  message: string
}

export interface Judgement {
  verdict?: StepVerdict
  /** Set when the step fails: an expectation was false, or a verdict under `on_verdict: fail`. */
  unmet?: Unmet
}

const MAX_SUMMARY = 600
const MAX_VALUE = 120

/**
 * Judges a step's output after its call succeeded: the tool's verdict (if it declares one) and
 * each `expect:` expression. The call itself was fine (its effect happened, it is not retried);
 * the question is whether the job was done.
 */
export function judge(
  step: string,
  output: unknown,
  context: ExprContext,
  options: {
    expectations: readonly Expectation[]
    verdictOf?: () => ToolVerdict | undefined
    onVerdict?: OnVerdict
  },
): Judgement {
  const problems: string[] = []
  let verdict: StepVerdict | undefined
  if (options.verdictOf) {
    try {
      const v = options.verdictOf()
      if (v)
        verdict = {
          ok: v.ok === true,
          summary: cleanText(String(v.summary)),
          on: options.onVerdict ?? 'fail',
        }
    } catch (error) {
      problems.push(`the tool's verdict could not be read: ${(error as Error).message}`)
    }
  }
  if (verdict && !verdict.ok && verdict.on === 'fail') problems.push(verdict.summary)
  const scope = { ...context, output: jsonToCel(output) }
  for (const e of options.expectations) {
    const problem = checkExpectation(e, scope)
    if (problem) problems.push(problem)
  }
  return {
    ...(verdict ? { verdict } : {}),
    ...(problems.length > 0
      ? { unmet: { code: 'unmet', message: `step ${step}: ${problems.join('; ')}` } }
      : {}),
  }
}

function checkExpectation(e: Expectation, scope: Record<string, unknown>): string | undefined {
  let value: unknown
  try {
    value = celToJson(e.program(scope))
  } catch (error) {
    return `expect "${e.text}" could not be evaluated: ${firstLine(error)} (${e.where})`
  }
  if (value === true) return undefined
  const shown = value === false ? 'is false' : `is ${show(value)}, not true or false`
  const values = valuesRead(e, scope)
  return `expect "${e.text}" ${shown}${values.length > 0 ? `: ${values.join(', ')}` : ''} (${e.where})`
}

/** The values an expression read (`output.drift = true`), so the message says why it was false. */
function valuesRead(e: Expectation, scope: Record<string, unknown>): string[] {
  const found: string[] = []
  for (const path of memberChains(e.program.ast, e.text)) {
    try {
      const value = celToJson(compileCel(path, EXPECT_VARIABLES, e.where)(scope))
      found.push(`${path} = ${show(value)}`)
    } catch {
      found.push(`${path} is missing`)
    }
    if (found.length === 5) break
  }
  return found
}

interface Node {
  op: string
  args: unknown
  start?: number
  end?: number
}

const isNode = (v: unknown): v is Node =>
  v !== null && typeof v === 'object' && typeof (v as Node).op === 'string'

// `output.plan.import`, `steps.qa.output["ok"]`: the longest member chains on a variable.
function memberChains(ast: unknown, text: string): string[] {
  const chains = new Set<string>()
  const rootOf = (node: Node): Node | undefined => {
    let at: Node = node
    while (at.op === '.' || at.op === '[]') {
      const target = (at.args as unknown[])[0]
      if (!isNode(target)) return undefined
      at = target
    }
    return at.op === 'id' && EXPECT_VARIABLES.includes(at.args as never) ? at : undefined
  }
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk)
    if (!isNode(node)) return
    if ((node.op === '.' || node.op === '[]') && rootOf(node) && node.start !== undefined && node.end) {
      chains.add(text.slice(node.start, node.end))
      return
    }
    walk(node.args)
  }
  walk(ast)
  return [...chains]
}

// JSON escapes C0 controls; the rest that would hide or reorder text is escaped as approvals do.
function show(value: unknown): string {
  const text = visible(JSON.stringify(value) ?? 'null')
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}…` : text
}

/**
 * A summary comes from a tool's output (names of config objects, a compiler's message): one
 * line, every character that would hide or reorder what a terminal shows written as its
 * escape (as approvals show inputs), capped.
 */
export function cleanText(text: string): string {
  const flat = visible(text.trim()).replace(/\n/g, '\\n').replace(/\t/g, ' ')
  return flat.length > MAX_SUMMARY ? `${flat.slice(0, MAX_SUMMARY)}…` : flat
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!
}
