import Mustache from 'mustache'
import { DriftcoreError } from 'driftcore/api'

type Token = [type: string, value: string, start: number, end: number, children?: Token[]]

interface MissingName {
  name: string
  line: number
  col: number
}

/**
 * Renders a logic-less template strictly: every name it uses must be defined (mustache itself
 * would print nothing), partials are refused, and nothing is HTML-escaped, since the output is
 * PHP and YAML. Views hold data only, so a template can never run code.
 */
export function renderStrict(text: string, view: Record<string, unknown>, file: string): string {
  let tokens: Token[]
  try {
    tokens = Mustache.parse(text) as unknown as Token[]
  } catch (error) {
    throw new DriftcoreError('invalid_input', `${file}: ${(error as Error).message}`, { cause: error })
  }
  const missing: MissingName[] = []
  check(tokens, [view], text, missing)
  if (missing.length > 0) {
    const first = missing[0]!
    throw new DriftcoreError(
      'invalid_input',
      `${file}:${first.line}:${first.col}: the template uses {{${first.name}}}, which is not defined`,
      {
        hint: `defined: ${Object.keys(view).sort().join(', ')}`,
        details: { file, missing },
      },
    )
  }
  return Mustache.render(text, view, {}, { escape: (value: string) => value })
}

function check(
  tokens: readonly Token[],
  stack: readonly unknown[],
  text: string,
  missing: MissingName[],
): void {
  for (const [type, name, start, , children] of tokens) {
    if (type === '>') {
      missing.push({ name: `> ${name}`, ...position(text, start) })
      continue
    }
    if (type !== 'name' && type !== '&' && type !== '#' && type !== '^') continue
    const value = lookup(stack, name)
    if (value === undefined) {
      missing.push({ name, ...position(text, start) })
      continue
    }
    if (type === '#' && Array.isArray(value)) {
      for (const item of value) check(children ?? [], [...stack, item], text, missing)
    } else if (type === '#' && value !== null && typeof value === 'object') {
      check(children ?? [], [...stack, value], text, missing)
    } else if (type === '#' || type === '^') {
      check(children ?? [], stack, text, missing)
    }
  }
}

// Mustache's lookup: the first context, innermost out, that has the first segment; then down.
function lookup(stack: readonly unknown[], name: string): unknown {
  if (name === '.') return stack[stack.length - 1]
  const [head, ...rest] = name.split('.')
  for (let i = stack.length - 1; i >= 0; i--) {
    const context = stack[i]
    if (context === null || typeof context !== 'object' || !Object.hasOwn(context, head!)) continue
    let value: unknown = (context as Record<string, unknown>)[head!]
    for (const key of rest) {
      if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined
      value = (value as Record<string, unknown>)[key]
    }
    return value
  }
  return undefined
}

function position(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset).split('\n')
  return { line: before.length, col: (before[before.length - 1]?.length ?? 0) + 1 }
}
