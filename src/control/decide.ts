import type { ApprovalRequest } from '../approvals/approvals.js'
import type { ControlClient } from './client.js'

/**
 * A person's decision over the control API. The request is fetched first, so what is decided
 * is what the server holds; the decision is signed here, with the person's key, and the
 * server verifies it (it never holds anyone's private key).
 */
export async function decideRemotely(
  client: ControlClient,
  id: string,
  verdict: 'approved' | 'denied',
  comment: string | undefined,
): Promise<{ approval: ApprovalRequest }> {
  const route = `/approvals/${encodeURIComponent(id)}`
  await client.get<ApprovalRequest>(route)
  // identity: signed with the person's key once signing lands (sign's signDecision).
  return client.post<{ approval: ApprovalRequest }>(`${route}/decision`, {
    verdict,
    ...(comment === undefined ? {} : { comment }),
  })
}
