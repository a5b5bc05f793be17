import type { DriftcoreError, InvokeResult, Kernel } from 'driftcore/api'
import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/sdk/types.js'

type Redactor = Kernel['redactor']

/**
 * A successful call: the output as JSON text for the model, and as structuredContent; then
 * the tool's own content blocks (images, embedded resources), if it has any.
 */
export function successResult(
  result: InvokeResult,
  structured: boolean,
  extra: readonly ContentBlock[] = [],
): CallToolResult {
  const output = result.output
  return {
    content: [{ type: 'text', text: JSON.stringify(output) ?? 'null' }, ...extra],
    ...(structured && isObject(output) ? { structuredContent: output } : {}),
    _meta: {
      'driftcore/trace_id': result.trace_id,
      'driftcore/decision': result.decision.decision,
      ...(result.artifact ? { 'driftcore/artifact': result.artifact.uri } : {}),
      ...(result.replayed ? { 'driftcore/replayed': true } : {}),
    },
  }
}

/**
 * A failed call as a tool error result (isError), so the model reads why and what to do next;
 * a protocol error would only tell it the call broke. The code and details are in `_meta`
 * for programs (the generated SDK throws them); everything is redacted, since a handler's
 * error message may quote what it was given.
 */
export function errorResult(error: DriftcoreError, redactor: Redactor, tool: string): CallToolResult {
  const text = redactor.redactText(explain(error, tool))
  return {
    isError: true,
    content: [{ type: 'text', text }],
    _meta: {
      'driftcore/error': redactor.redact({
        code: error.code,
        message: error.message,
        ...(error.hint ? { hint: error.hint } : {}),
        details: error.details,
      }),
    },
  }
}

function explain(error: DriftcoreError, tool: string): string {
  const d = error.details
  switch (error.code) {
    case 'policy_denied':
      return [
        `Denied by policy: ${text(d.reason ?? error.message)}`,
        `Rule: ${text(d.rule ?? 'none matched (no rule allows it)')}.`,
        'This is a decision, not a fault: repeating the call gets the same answer. If it should be allowed, a person changes the policy.',
        error.hint ? `(${error.hint})` : '',
      ]
        .filter(Boolean)
        .join('\n')
    case 'approval_required':
      return approvalText(tool, text(d.approval_id), text(d.reason ?? ''), d.rule, d.expires_at)
    case 'cancelled':
      return `${tool} was cancelled; anything it started has been stopped.`
    default:
      return `${error.code}: ${error.message}${error.hint ? `\nHint: ${error.hint}` : ''}`
  }
}

/** What an agent is told when a call waits for a person. */
export function approvalText(
  tool: string,
  approvalId: string,
  reason: string,
  rule?: unknown,
  expiresAt?: unknown,
  why?: string,
): string {
  return [
    `${tool} needs a person's approval before it runs: ${reason}`,
    ...(rule ? [`Rule: ${text(rule)}.`] : []),
    ...(why ? [why] : []),
    `Approval id: ${approvalId}${expiresAt ? ` (expires ${text(expiresAt)})` : ''}.`,
    `A person approves it with: driftcore approvals approve ${approvalId}`,
    'You cannot approve it yourself. Ask the person, then poll the approvals.status tool with ' +
      `{"id": "${approvalId}"}; once it is approved, call ${tool} again with exactly the same ` +
      'arguments (in this session or, after a restart, a new one of this client): the approval is ' +
      'found and used once, nothing to pass. It is for those arguments only.',
  ].join('\n')
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
