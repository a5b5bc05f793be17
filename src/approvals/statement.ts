import type { ApprovalRequest } from './approvals.js'

/** The SSH signature namespace of approval statements (`ssh-keygen -Y sign -n`). */
export const APPROVAL_NAMESPACE = 'driftcore-approval'

/** What a person's key signed: the time they signed it and the armored SSH signature. */
export interface SignedDecision {
  at: string
  signature: string
}

/** A verified signed decision, as it is kept on the request and in its audit record. */
export interface ApprovalSignature {
  principal: string
  /** `SHA256:…` of the key that signed. */
  fingerprint: string
  namespace: string
  at: string
  signature: string
  /** The exact text that was signed (rebuilt from the request, kept so anyone can check it). */
  statement: string
}

const VERSION = 'driftcore-approval/v1'

/**
 * The canonical, versioned text a person signs to decide an approval: everything the grant is
 * bound to, one `key value` line each with the value as JSON, so no comment or tool id can
 * break a line or pass for another field.
 */
export function approvalStatement(
  request: ApprovalRequest,
  decision: 'approved' | 'denied',
  comment: string | undefined,
  at: string,
): string {
  const fields: [string, unknown][] = [
    ['id', request.id],
    ['tool', request.tool],
    ['input_hash', request.input_hash],
    ['requester', `${request.requester.type}:${request.requester.id}`],
    ['workflow', request.workflow ? `${request.workflow.run_id}/${request.workflow.step}` : null],
    ['config_hash', request.config_hash ?? null],
    ['environment', request.environment ?? null],
    ['created_at', request.created_at],
    ['expires_at', request.expires_at],
    ['decision', decision],
    ['comment', comment || null],
    ['at', at],
  ]
  // A request that needs several people says so in what each of them signs (and only then, so
  // every statement of a one-person approval reads as it always did).
  if ((request.approvals_required ?? 1) > 1)
    fields.splice(9, 0, ['approvals_required', request.approvals_required])
  return `${VERSION}\n${fields.map(([k, v]) => `${k} ${JSON.stringify(v)}`).join('\n')}\n`
}

/** The fields of a statement (for `audit verify`, which checks them against the record). */
export function parseStatement(text: string): Record<string, unknown> | undefined {
  const lines = text.split('\n')
  if (lines[0] !== VERSION) return undefined
  const fields: Record<string, unknown> = {}
  for (const line of lines.slice(1)) {
    if (line === '') continue
    const space = line.indexOf(' ')
    if (space < 1) return undefined
    try {
      fields[line.slice(0, space)] = JSON.parse(line.slice(space + 1))
    } catch {
      return undefined
    }
  }
  return fields
}
