import { appendFile } from 'node:fs/promises'
import path from 'node:path'
import type { ApprovalRequest } from '../../src/approvals/approvals.js'
import { ApprovalStore, JOURNAL_FILE } from '../../src/approvals/store.js'

/** `.driftcore/state/approvals.jsonl`: where every change to an approval is appended. */
export function approvalsJournal(home: string): string {
  return path.join(home, 'state', JOURNAL_FILE)
}

/** Every approval request as driftcore reads it: the view with the journal replayed over it. */
export async function approvalRequests(home: string): Promise<Record<string, ApprovalRequest>> {
  const all = await new ApprovalStore(path.join(home, 'state')).all()
  return Object.fromEntries([...all].map(([id, s]) => [id, s.request]))
}

/**
 * What a same-user agent that knows the format does to the approvals state: reads it, changes
 * requests, and appends each changed one to the journal as a new version (a line like the ones
 * driftcore writes), so driftcore reads the edit as the request's version in force.
 */
export async function editApprovals(
  home: string,
  edit: (requests: Record<string, ApprovalRequest>) => void,
): Promise<void> {
  const requests = await approvalRequests(home)
  const before = JSON.stringify(requests)
  edit(requests)
  const was = JSON.parse(before) as Record<string, ApprovalRequest>
  const lines = Object.values(requests)
    .filter((r) => JSON.stringify(r) !== JSON.stringify(was[r.id]))
    .map((r) => JSON.stringify({ put: r }) + '\n')
  await appendFile(approvalsJournal(home), lines.join(''))
}
