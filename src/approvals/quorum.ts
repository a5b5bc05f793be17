import { callerIdentity } from '../audit/identity.js'
import type { Actor } from '../audit/record.js'
import { canonicalHash } from '../store/hash.js'
import type { ApprovalRequest } from './approvals.js'
import type { ApprovalSignature } from './statement.js'

/**
 * A rule may ask for several people (`approval.count`): each person's approval is one vote,
 * kept on the request (`approved_by`) and recorded as `approval.counted`, until the count is
 * met and the last one grants it (`approval.approved`, whose digest covers every vote).
 */

/** Audit record type of a vote that did not yet complete the count. */
export const COUNTED_TYPE = 'approval.counted'

/** One person's approval of a request that needs more than one. */
export interface ApprovalVote {
  by: Actor
  at: string
  comment?: string
  /** The person's SSH signature over the request's statement, verified when it was given. */
  signature?: ApprovalSignature
  /** Unsigned, from the control API: the name of the person's token (never the token). */
  token?: string
  /** Unsigned, from a local process: the OS uid it ran as. */
  uid?: number
}

/** How many people the request needs (1 unless policy said more). */
export function required(r: Pick<ApprovalRequest, 'approvals_required'>): number {
  return r.approvals_required ?? 1
}

/** "1 of 2": the approvals given so far, for people reading the request. */
export function countText(r: Pick<ApprovalRequest, 'approvals_required' | 'approved_by' | 'status'>): string {
  const given = r.status === 'approved' || r.status === 'used' ? required(r) : (r.approved_by?.length ?? 0)
  return `${Math.min(given, required(r))} of ${required(r)}`
}

/**
 * The vote a decision makes. Signed, the key says who it is; unsigned, all there is to tell
 * two people apart is how they reached driftcore: a control-API token's name, else the OS uid.
 */
export function voteOf(
  by: Actor,
  at: string,
  comment: string | undefined,
  signature: ApprovalSignature | undefined,
): ApprovalVote {
  const vote: ApprovalVote = { by, at, ...(comment ? { comment } : {}) }
  if (signature) return { ...vote, signature }
  const token = callerIdentity(undefined)?.token
  if (token !== undefined) return { ...vote, token }
  const uid = process.getuid?.()
  return uid === undefined ? vote : { ...vote, uid }
}

/**
 * What two votes share that makes them one person's, if anything: the same actor id, the same
 * key principal or fingerprint, or (both unsigned) the same token or the same OS uid. A name is
 * only what a caller says; a key is what it holds; a uid is the account it runs as.
 */
export function samePerson(a: ApprovalVote, b: ApprovalVote): string | undefined {
  if (a.by.id === b.by.id) return `both are ${a.by.id}`
  if (a.signature && b.signature) {
    if (a.signature.principal === b.signature.principal) return `both are signed by ${a.signature.principal}`
    if (a.signature.fingerprint === b.signature.fingerprint)
      return `both are signed with the key ${a.signature.fingerprint}`
    return undefined
  }
  if (a.signature || b.signature) {
    const signed = (a.signature ?? b.signature)!
    const other = a.signature ? b : a
    return other.by.id === signed.principal ? `both are ${signed.principal}` : undefined
  }
  if (a.token !== undefined && a.token === b.token) return `both came with the token ${a.token}`
  if (a.token === undefined && b.token === undefined && a.uid !== undefined && a.uid === b.uid)
    return `both came from the same OS user (uid ${a.uid}), and nothing unsigned tells two people there apart`
  return undefined
}

/** Whether a vote is the requester's own: their actor id, or their id as a key's principal. */
export function byRequester(r: ApprovalRequest, vote: ApprovalVote): boolean {
  const requester = r.requester
  return (
    (vote.by.type === requester.type && vote.by.id === requester.id) ||
    vote.by.id === requester.id ||
    vote.signature?.principal === requester.id
  )
}

/**
 * Why the votes on a request do not make the people it needs, if they do not: too few, two of
 * one person, or one of them the requester.
 */
export function quorumProblem(r: ApprovalRequest): string | undefined {
  const votes = r.approved_by ?? []
  if (votes.length < required(r))
    return `it needs ${required(r)} people and holds ${votes.length} approval${votes.length === 1 ? '' : 's'}`
  for (const [i, vote] of votes.entries()) {
    if (byRequester(r, vote)) return `approval ${i + 1} is by its requester ${vote.by.id}`
    for (const earlier of votes.slice(0, i)) {
      const same = samePerson(earlier, vote)
      if (same) return `approvals by ${earlier.by.id} and ${vote.by.id} are one person's: ${same}`
    }
  }
  return undefined
}

/** What a vote's `approval.counted` record commits to: the request it is for and the vote. */
export function voteDigest(r: ApprovalRequest, vote: ApprovalVote): string {
  return canonicalHash({
    id: r.id,
    tool: r.tool,
    input_hash: r.input_hash,
    requester: r.requester,
    workflow: r.workflow,
    config_hash: r.config_hash,
    environment: r.environment,
    created_at: r.created_at,
    expires_at: r.expires_at,
    approvals_required: r.approvals_required,
    vote,
  })
}
