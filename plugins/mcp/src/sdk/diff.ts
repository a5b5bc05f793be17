import type { Catalog } from './catalog.js'
import { narrowing, type Issue } from './compat.js'

export interface CatalogDiff {
  /** Changes that can break a caller written against the snapshot. */
  breaking: string[]
  /** Additions a caller may now use. */
  compatible: string[]
}

// Input issues say what the live server rejects that the snapshot accepted.
function inputChange(issue: Issue): string {
  switch (issue.kind) {
    case 'required':
      return 'is a new required input'
    case 'type':
      return `type narrowed from ${issue.from} to ${issue.to}`
    case 'values':
    case 'union':
      return `no longer accepts ${issue.to}`
    case 'constraint':
      return `tightened from ${issue.from} to ${issue.to}`
    case 'constrained':
      return `narrowed from ${issue.from} to ${issue.to}`
    case 'closed':
      return 'now rejects properties the schema does not name'
    case 'removed':
      return 'was removed and is now rejected'
  }
}

// Output issues come from comparing the other way round (live, then snapshot): they say what
// a caller written against the snapshot may now receive. Optional output properties added or
// removed are not breaking, so `closed` and `removed` say nothing here.
function outputChange(issue: Issue): string | undefined {
  switch (issue.kind) {
    case 'required':
      return 'is no longer always present'
    case 'type':
      return `type widened from ${issue.to} to ${issue.from}`
    case 'values':
    case 'union':
      return `may now be ${issue.to}`
    case 'constraint':
      return `loosened from ${issue.to} to ${issue.from}`
    case 'constrained':
      return `widened from ${issue.to} to ${issue.from}`
    default:
      return undefined
  }
}

/**
 * Compares a snapshot with the live catalog. Breaking: a tool, resource, template or prompt
 * removed; a new required input or prompt argument; an input type narrowed; an output a
 * caller relied on widened or no longer present.
 */
export function diffCatalogs(snapshot: Catalog, live: Catalog): CatalogDiff {
  const breaking: string[] = []
  const compatible: string[] = []
  const liveTools = new Map(live.tools.map((t) => [t.name, t]))
  for (const before of snapshot.tools) {
    const after = liveTools.get(before.name)
    if (!after) continue
    for (const issue of narrowing(before.inputSchema, after.inputSchema, 'input'))
      breaking.push(`tool ${before.name}: ${issue.path} ${inputChange(issue)}`)
    if (before.outputSchema && !after.outputSchema)
      breaking.push(`tool ${before.name}: no longer declares an output schema (no structured result)`)
    else if (before.outputSchema && after.outputSchema)
      for (const issue of narrowing(after.outputSchema, before.outputSchema, 'output')) {
        const change = outputChange(issue)
        if (change) breaking.push(`tool ${before.name}: ${issue.path} ${change}`)
      }
  }
  const ids: [string, (c: Catalog) => string[]][] = [
    ['tool', (c) => c.tools.map((t) => t.name)],
    ['resource', (c) => c.resources.map((r) => r.uri)],
    ['resource template', (c) => c.resourceTemplates.map((r) => r.uriTemplate)],
    ['prompt', (c) => c.prompts.map((p) => p.name)],
  ]
  for (const [kind, of] of ids) {
    const before = new Set(of(snapshot))
    const after = new Set(of(live))
    for (const id of before) if (!after.has(id)) breaking.push(`${kind} ${id} was removed`)
    for (const id of after) if (!before.has(id)) compatible.push(`${kind} ${id} was added`)
  }
  const livePrompts = new Map(live.prompts.map((p) => [p.name, p]))
  for (const before of snapshot.prompts) {
    const after = livePrompts.get(before.name)
    const had = new Set(before.arguments.filter((a) => a.required).map((a) => a.name))
    for (const arg of after?.arguments ?? [])
      if (arg.required && !had.has(arg.name))
        breaking.push(`prompt ${before.name}: argument ${arg.name} is newly required`)
  }
  return { breaking, compatible }
}
