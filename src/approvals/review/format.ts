import type { Actor } from '../../audit/record.js'
import { DriftcoreError } from '../../errors/driftcore-error.js'
import type { ApprovalRequest } from '../approvals.js'
import { approvalsLine, cutLines, repeatHint, stillPendingLine, visible, wholeInput } from '../display.js'

/** How much of an input the review screen shows before it says where the rest is. */
export const INPUT_LINES = 40

/** Masks secrets in text before it reaches the screen (the kernel's redactor). */
export type Redact = (text: string) => string

export interface ReviewRow {
  id: string
  tool: string
  requester: string
  age: string
  expires: string
}

export function actorLabel(actor: Actor): string {
  return `${actor.type}:${actor.id}`
}

/** A duration in its largest whole unit: 45s, 12m, 3h (up to two days), 5d. */
export function span(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000))
  if (seconds < 60) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours}h`
  return `${Math.floor(hours / 24)}d`
}

export function reviewRow(request: ApprovalRequest, now: number, redact: Redact): ReviewRow {
  return {
    id: request.id,
    tool: redact(request.tool),
    requester: redact(actorLabel(request.requester)),
    age: span(now - Date.parse(request.created_at)),
    expires: span(Date.parse(request.expires_at) - now),
  }
}

/** What a person needs to decide one request, as label/value pairs, every value redacted. */
export function detailLines(request: ApprovalRequest, now: number, redact: Redact): [string, string][] {
  const rule = request.deciding_rule ?? (request.rule_ids.length > 0 ? request.rule_ids.join(', ') : '—')
  const lines: [string, string][] = [
    ['tool', request.tool],
    ['input', reviewInput(request)],
    ...(request.preview
      ? ([['would do', cutLines(request.preview, INPUT_LINES, request.id)]] as [string, string][])
      : []),
    ['input hash', request.input_hash],
    ['rule', rule],
    ['reason', request.reason],
    ['requester', actorLabel(request.requester)],
    ['requested', `${request.created_at} (${span(now - Date.parse(request.created_at))} ago)`],
    ['expires', `${request.expires_at} (in ${span(Date.parse(request.expires_at) - now)})`],
  ]
  const count = approvalsLine(request)
  if (count) lines.push(['approvals', count])
  if (request.approvers?.length) {
    lines.push(['approvers', request.approvers.map((patterns) => patterns.join(' or ')).join('; and ')])
  }
  if (request.workflow) {
    lines.push(['workflow', `run ${request.workflow.run_id}, step ${request.workflow.step}`])
  }
  return lines.map(([label, value]) => [label, visible(redact(value))])
}

// The whole input on its own lines, up to INPUT_LINES; a longer one says it is cut and how to
// see the rest. A one-line input stays on the label's line.
function reviewInput(request: ApprovalRequest): string {
  const whole = wholeInput(request)
  const text = cutLines(whole.text, INPUT_LINES, request.id)
  const note = whole.note ? `(${whole.note})` : ''
  return text.includes('\n') || note ? [note, text].filter(Boolean).join('\n') : text
}

/** The line shown after a decision: what happens next, as `approvals approve/deny` print it. */
export function decisionLine(approval: ApprovalRequest): string {
  if (approval.status === 'denied') return `denied ${approval.id} (${approval.tool})`
  if (approval.status === 'pending') return stillPendingLine(approval)
  if (approval.workflow) {
    return `approved ${approval.id} (${approval.tool}); continue the run with: driftcore workflow resume ${approval.workflow.run_id}`
  }
  return `approved ${approval.id} (${approval.tool}); ${repeatHint(approval)}`
}

/** An error as one line with its hint, so a refused decision can be shown instead of crashing. */
export function errorLine(error: unknown): string {
  if (error instanceof DriftcoreError) return error.hint ? `${error.message} — ${error.hint}` : error.message
  return error instanceof Error ? error.message : String(error)
}
