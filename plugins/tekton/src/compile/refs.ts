import type { StepDefinition } from 'driftcore/api'

/** Every string in a value, with the key path it stands at. */
export function strings(value: unknown, path: string[] = []): { text: string; path: string[] }[] {
  if (typeof value === 'string') return [{ text: value, path }]
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, [...path, String(i)]))
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => strings(v, [...path, k]))
  return []
}

/**
 * The CEL a step evaluates: `when`, `expression`, `expect`, and each `${{ }}` in its templates.
 * The output schema is data, not CEL, so it is left out.
 */
export function celTexts(step: StepDefinition): string[] {
  const texts: string[] = []
  if (step.when) texts.push(step.when)
  if (step.type === 'condition') texts.push(step.expression)
  if ((step.type === 'worker' || step.type === 'condition') && step.expect !== undefined)
    texts.push(...(Array.isArray(step.expect) ? step.expect : [step.expect]))
  const { output: _output, ...rest } = step as StepDefinition & { output?: unknown }
  for (const { text } of strings(rest))
    for (const match of text.matchAll(/\$\{\{([\s\S]*?)\}\}/g)) texts.push(match[1]!)
  return texts
}

/**
 * The steps a step's CEL reads (`steps.<id>`). The workflow loader already refuses `steps[x]`
 * and names that are not upstream, so a literal scan finds them all; a match inside a CEL
 * string literal only passes one result too many.
 */
export function stepsRead(step: StepDefinition, ids: ReadonlySet<string>): Set<string> {
  const read = new Set<string>()
  for (const text of celTexts(step))
    for (const match of text.matchAll(/\bsteps\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)/g))
      if (ids.has(match[1]!) && match[1] !== step.id) read.add(match[1]!)
  return read
}
