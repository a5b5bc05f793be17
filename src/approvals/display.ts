import type { ApprovalRequest } from './approvals.js'
import { countText, required } from './quorum.js'

// Characters that change what a terminal shows without showing themselves: C0 controls (but
// tab and newline), DEL, C1 controls, zero-width and bidirectional marks, line separators and
// the BOM. A patch could hide a line (`\r`, an ANSI escape) or reorder one (U+202E) from the
// person approving it; each is shown as its escape instead.
const INVISIBLE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g

/** `text` with every character that would not show itself replaced by its escape (`\r`, `\u{202e}`). */
export function visible(text: string): string {
  return text.replace(INVISIBLE, (c) => {
    if (c === '\r') return '\\r'
    if (c === '\u001b') return '\\e'
    return `\\u{${c.codePointAt(0)!.toString(16)}}`
  })
}

/**
 * A value as a person reads it before approving: YAML-like, multi-line strings (a patch) as
 * indented blocks line by line, nothing left out, nothing invisible.
 */
export function renderValue(value: unknown, indent = ''): string {
  if (value === null || value === undefined) return `${indent}null`
  if (typeof value === 'string') return renderString(value, indent)
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return `${indent}${value}`
  if (typeof value !== 'object') return `${indent}(${typeof value})`
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((v) => ['-', v])
    : Object.entries(value).map(([k, v]) => [`${visible(k)}:`, v])
  if (entries.length === 0) return `${indent}${Array.isArray(value) ? '[]' : '{}'}`
  return entries
    .map(([label, v]) => {
      if (v !== null && typeof v === 'object' && Object.keys(v).length > 0)
        return `${indent}${label}\n${renderValue(v, `${indent}  `)}`
      if (typeof v === 'string' && v.includes('\n'))
        return `${indent}${label} ${renderString(v, `${indent}  `).trimStart()}`
      return `${indent}${label} ${renderValue(v, '').trimStart()}`
    })
    .join('\n')
}

function renderString(text: string, indent: string): string {
  if (!text.includes('\n')) {
    const plain = text !== '' && JSON.stringify(text) === `"${text}"`
    return `${indent}${visible(plain ? text : JSON.stringify(text))}`
  }
  const ending = text.endsWith('\n') ? '' : ' (no newline at the end)'
  const lines = (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n')
  return [`${indent}|${ending}`, ...lines.map((line) => `${indent}  ${visible(line)}`)].join('\n')
}

/** The whole input of a request, rendered, with a note when only a summary of it was kept. */
export function wholeInput(request: ApprovalRequest): { text: string; note?: string } {
  if (request.input !== undefined) return { text: renderValue(request.input) }
  if (request.input_redacted !== undefined)
    return { text: renderValue(request.input_redacted), note: 'secrets masked' }
  // A request that is not a tool call (a workflow's approval step) is its summary, whole; an
  // older request may have kept only a summary it cut.
  const summary = request.input_summary
  const cut = summary.includes('… [cut: ') || (summary.length === 300 && summary.endsWith('...'))
  return { text: visible(summary), ...(cut ? { note: 'only this cut summary was kept' } : {}) }
}

/**
 * At most `maxLines` of `text`; when it is longer, the cut is said in so many words with the
 * command that shows it all. Never a silent cut.
 */
export function cutLines(text: string, maxLines: number, id: string): string {
  const lines = text.split('\n')
  if (lines.length <= maxLines) return text
  return [
    ...lines.slice(0, maxLines),
    `… cut here: ${maxLines} of ${lines.length} lines shown; the whole input: driftcore approvals show ${id}`,
  ].join('\n')
}

/**
 * What the requester of a granted call does next: an MCP client repeats the same call (the grant
 * is found, in this session or a later one of that client); anyone else repeats it naming it.
 */
export function repeatHint(approval: Pick<ApprovalRequest, 'id' | 'requester_mcp'>): string {
  return approval.requester_mcp
    ? `the MCP client ${approval.requester_mcp.client} repeats the same call (no approval id needed, in this session or a new one)`
    : `the requester repeats the call with --approval ${approval.id}`
}

/** For a request that needs several people: "1 of 2 (human:alice)", else undefined. */
export function approvalsLine(request: ApprovalRequest): string | undefined {
  if (required(request) <= 1) return undefined
  const who = (request.approved_by ?? []).map((v) => `${v.by.type}:${v.by.id}`)
  return `${countText(request)}${who.length > 0 ? ` (${who.join(', ')})` : ''}`
}

/** What approving a request that needs more people said: how many so far, and who is next. */
export function stillPendingLine(request: ApprovalRequest): string {
  const left = required(request) - (request.approved_by?.length ?? 0)
  return (
    `approved ${request.id} (${request.tool}): ${countText(request)} approvals, still pending; ` +
    `${left} more ${left === 1 ? 'person approves' : 'people approve'} it with: driftcore approvals approve ${request.id}`
  )
}
