import type { InvokeResult } from '../gate/invoke.js'

/**
 * The decision a finished call ran under, for people: policy's, or, once a person approved
 * it, `APPROVED by human:alice` (the policy decision REQUIRE_APPROVAL alone would read as if it
 * still waited). An MCP client's own answer says so.
 */
export function decisionText(result: Pick<InvokeResult, 'decision' | 'approval'>): string {
  const a = result.approval
  if (!a) return result.decision.decision
  return `APPROVED by ${a.approved_by.type}:${a.approved_by.id}${a.via ? ` (${a.via})` : ''}`
}
