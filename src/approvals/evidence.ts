import { open, readFile, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { checkLineBytes, GENESIS } from '../audit/record.js'
import { HEAD_FILE, listSegments, segmentPath, type AuditHead } from '../audit/segments.js'
import { canonicalHash } from '../store/hash.js'
import { DriftcoreError } from '../errors/driftcore-error.js'
import type { ApprovalRequest } from './approvals.js'
import { ApprovalStore, VIEW_FILE, type Stored } from './store.js'

/**
 * An approval in `state/approvals.json` is only a copy. What makes it granted is its
 * `approval.approved` audit record, which carries a digest of everything the grant is bound to.
 * A state file edited to `approved` (or a grant's expiry pushed back, or another request's
 * decision copied over) has no record with its digest, and is refused where it is used.
 */

export const EVIDENCE_TYPE = 'approval.approved'
/** Recorded when a use of an approval found no evidence; the approval stays refused after it. */
export const FORGED_TYPE = 'approval.forged'
/**
 * Recorded when an approval is used, before the state file says so: a state file put back to
 * `approved` after its use (a same-user shell can write it) still meets this record at the next
 * use, and is refused.
 */
export const USED_TYPE = 'approval.used'

// How far before an approval's creation its record may sit (clocks of two processes on one
// machine agree; this only absorbs a clock step). Older segments are not read.
const CLOCK_SLACK_MS = 10 * 60_000
const CHUNK_BYTES = 1024 * 1024

/** What the `approval.approved` record of a grant commits to: every fact consume relies on. */
export function approvalDigest(r: ApprovalRequest): string {
  return canonicalHash({
    id: r.id,
    tool: r.tool,
    input_hash: r.input_hash,
    requester: r.requester,
    requester_mcp: r.requester_mcp,
    workflow: r.workflow,
    config_hash: r.config_hash,
    environment: r.environment,
    created_at: r.created_at,
    expires_at: r.expires_at,
    approvers: r.approvers,
    client_attestation: r.client_attestation,
    decided_by: r.decided_by,
    decided_at: r.decided_at,
    via: r.via,
    client: r.client,
    self_approval: r.self_approval,
    signature: r.signature,
    approvals_required: r.approvals_required,
    approved_by: r.approved_by,
  })
}

export type Evidence = { found: true; seq: number } | { found: false; reason: string }

/**
 * Looks for the grant's record newest-first, a chunk at a time, and stops at records older than
 * the request, so the cost is the log written since it was asked, not the whole log. The record
 * found must be intact and linked to its neighbours (a line pasted into the middle of the log
 * is not); whether the whole chain holds is `audit verify`'s job.
 */
export async function findApprovalEvidence(
  auditDir: string,
  request: ApprovalRequest,
  /** Another record to look for than the grant (a vote's `approval.counted`). */
  target: { type: string; digest: string } = { type: EVIDENCE_TYPE, digest: approvalDigest(request) },
): Promise<Evidence> {
  const { digest } = target
  let broken: string | undefined
  const hits = linkedMatches(auditDir, request, target.type, (record) =>
    // Once refused as forged, always refused: a record that turns up later (appended after
    // the refusal, say) does not make the grant real.
    record?.type === FORGED_TYPE
      ? 'tainted'
      : record?.type === target.type && record.data?.digest === digest
        ? 'found'
        : undefined,
  )
  for await (const hit of hits) {
    if ('tainted' in hit) {
      return {
        found: false,
        reason: `the audit log already refused it as forged (${FORGED_TYPE} at seq ${hit.tainted})`,
      }
    }
    if (!hit.problem) return { found: true, seq: hit.seq }
    // A copy that does not link in place does not hide a real record in an older segment.
    broken ??= hit.problem
  }
  return {
    found: false,
    reason: broken ?? `the audit log holds no ${target.type} record for ${request.id} with its digest`,
  }
}

/**
 * The newest `approval.used` record of this grant (same digest), searched as the grant is:
 * newest-first, back to the request's creation. Its trace tells the retry of the very call that
 * used it (a workflow attempt interrupted by a crash) from a replay, so it must link in place as
 * the grant's record must: a use record pasted in naming another attempt's trace would otherwise
 * make that attempt a "retry". `broken` says why the one found does not.
 */
export async function findApprovalUse(
  auditDir: string,
  request: ApprovalRequest,
): Promise<{ seq: number; trace: string | null; broken?: string } | undefined> {
  const digest = approvalDigest(request)
  let trace: string | null = null
  const hits = linkedMatches(auditDir, request, USED_TYPE, (record) => {
    if (record?.type !== USED_TYPE || record.data?.digest !== digest) return undefined
    trace = typeof record.data.trace === 'string' ? record.data.trace : null
    return 'found'
  })
  for await (const hit of hits) {
    if ('tainted' in hit) continue
    return { seq: hit.seq, trace, ...(hit.problem ? { broken: hit.problem } : {}) }
  }
  return undefined
}

type Hit = { tainted: number } | { seq: number; problem: string | undefined }

// Per segment, newest first and back to the request's creation: the newest intact line about
// the request that `matches` takes, with why it does not link in place (undefined: it does).
async function* linkedMatches(
  auditDir: string,
  request: ApprovalRequest,
  type: string,
  matches: (record: EvidenceRecord | undefined) => 'found' | 'tainted' | undefined,
): AsyncGenerator<Hit> {
  const needle = Buffer.from(`"subject":${JSON.stringify(request.id)},`)
  const since = Date.parse(request.created_at) - CLOCK_SLACK_MS
  const segments = await listSegments(auditDir)
  for (let i = segments.length - 1; i >= 0; i--) {
    const file = segmentPath(auditDir, segments[i]!)
    const handle = await open(file, 'r')
    try {
      const size = (await handle.stat()).size
      const search = await searchBackwards(handle, size, needle, since, (line) => matches(parseLine(line)))
      if (search.tainted) yield { tainted: search.tainted }
      else if (search.at) {
        const problem = await linkProblem(auditDir, segments, i, handle, size, search.at, type)
        yield { seq: search.at.seq, problem: problem && `${file}: ${problem}` }
      }
      if (search.older) return
    } finally {
      await handle.close()
    }
  }
}

interface Found {
  start: number
  end: number
  seq: number
  prev: string
  hash: string
}

// Reads `size` bytes backwards in chunks; a line cut by a chunk's start is carried into the
// next (earlier) chunk. Reports the newest matching line, and whether reading stopped at
// records older than `since`.
async function searchBackwards(
  handle: FileHandle,
  size: number,
  needle: Buffer,
  since: number,
  matches: (line: Buffer) => 'found' | 'tainted' | undefined,
): Promise<{ at?: Found; tainted?: number; older: boolean }> {
  let end = size
  let carry = Buffer.alloc(0)
  while (end > 0) {
    const start = Math.max(0, end - CHUNK_BYTES)
    const chunk = Buffer.alloc(end - start)
    await handle.read(chunk, 0, chunk.length, start)
    const buffer = carry.length > 0 ? Buffer.concat([chunk, carry]) : chunk
    // Bytes before the first newline may belong to a line that began in an earlier chunk.
    const first = start === 0 ? 0 : buffer.indexOf(0x0a) + 1
    if (start > 0 && first === 0) {
      carry = buffer
      end = start
      continue
    }
    let from = buffer.length
    for (;;) {
      const hit = buffer.lastIndexOf(needle, from)
      if (hit < first) break
      const lineStart = buffer.lastIndexOf(0x0a, hit) + 1
      const newline = buffer.indexOf(0x0a, hit)
      const lineEnd = newline === -1 ? buffer.length : newline
      const line = buffer.subarray(lineStart, lineEnd)
      const verdict = newline === -1 ? undefined : matches(line)
      if (verdict) {
        const check = checkLineBytes(buffer, lineStart, lineEnd)
        if (check?.intact && verdict === 'tainted') return { tainted: check.seq, older: false }
        if (check?.intact) {
          return {
            at: {
              start: start + lineStart,
              end: start + lineEnd,
              seq: check.seq,
              prev: check.prev,
              hash: check.hash,
            },
            older: false,
          }
        }
      }
      from = lineStart - 1
      if (from < first) break
    }
    if (lineTime(buffer, first) < since) return { older: true }
    carry = buffer.subarray(0, first)
    end = start
  }
  return { older: false }
}

// The record must follow the one before it and be followed by the one after it (or be the
// chain's end as HEAD.json records it).
async function linkProblem(
  auditDir: string,
  segments: string[],
  index: number,
  handle: FileHandle,
  size: number,
  at: Found,
  type: string,
): Promise<string | undefined> {
  const before =
    at.start > 0
      ? await hashFieldEndingAt(handle, at.start - 1)
      : index > 0
        ? await lastHashOf(segmentPath(auditDir, segments[index - 1]!))
        : GENESIS
  if (before !== at.prev) return `the ${type} record seq ${at.seq} does not follow the record before it`
  const next =
    at.end + 1 < size
      ? await lineFrom(handle, at.end + 1)
      : index < segments.length - 1
        ? await firstLineOf(segmentPath(auditDir, segments[index + 1]!))
        : undefined
  if (next) {
    const check = checkLineBytes(next, 0, next.length)
    if (check?.prev !== at.hash)
      return `the ${type} record seq ${at.seq} is not followed by the record after it`
    return undefined
  }
  const head = await readHead(auditDir)
  if (head && (head.seq < at.seq || (head.seq === at.seq && head.hash !== at.hash)))
    return `the ${type} record seq ${at.seq} lies past the end HEAD.json records (seq ${head.seq})`
  return undefined
}

// A sealed line ends with `"hash":"<64 hex>"}` before its newline at `newline`.
async function hashFieldEndingAt(handle: FileHandle, newline: number): Promise<string | undefined> {
  if (newline < 66) return undefined
  const buffer = Buffer.alloc(64)
  await handle.read(buffer, 0, 64, newline - 66)
  return buffer.toString('latin1')
}

async function lastHashOf(file: string): Promise<string | undefined> {
  const handle = await open(file, 'r')
  try {
    const size = (await handle.stat()).size
    return size > 0 ? await hashFieldEndingAt(handle, size - 1) : undefined
  } finally {
    await handle.close()
  }
}

async function firstLineOf(file: string): Promise<Buffer | undefined> {
  const handle = await open(file, 'r')
  try {
    return await lineFrom(handle, 0)
  } finally {
    await handle.close()
  }
}

async function lineFrom(handle: FileHandle, position: number): Promise<Buffer | undefined> {
  const parts: Buffer[] = []
  for (let at = position; ;) {
    const chunk = Buffer.alloc(64 * 1024)
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, at)
    if (bytesRead === 0) return undefined
    const newline = chunk.subarray(0, bytesRead).indexOf(0x0a)
    if (newline !== -1) {
      parts.push(chunk.subarray(0, newline))
      return Buffer.concat(parts)
    }
    parts.push(chunk.subarray(0, bytesRead))
    at += bytesRead
  }
}

async function readHead(auditDir: string): Promise<AuditHead | undefined> {
  try {
    return JSON.parse(await readFile(path.join(auditDir, HEAD_FILE), 'utf8')) as AuditHead
  } catch {
    return undefined
  }
}

// `{"seq":N,"at":"<ISO time>",…`: the time of the line starting at `start`, or +Infinity.
function lineTime(buffer: Buffer, start: number): number {
  const head = buffer.toString('latin1', start, Math.min(buffer.length, start + 64))
  const match = /^\{"seq":\d+,"at":"([^"]+)"/.exec(head)
  return match ? Date.parse(match[1]!) : Infinity
}

interface EvidenceRecord {
  type?: string
  subject?: string
  data?: { digest?: unknown; trace?: unknown }
}

function parseLine(line: Buffer): EvidenceRecord | undefined {
  try {
    return JSON.parse(line.toString('utf8')) as EvidenceRecord
  } catch {
    return undefined
  }
}

export interface ApprovalEvidenceProblem {
  id: string
  status: string
  tool: string
  file: string
  message: string
}

/**
 * For `audit verify`: every approval the state file says was granted (approved, or used) must
 * have its `approval.approved` record. One forward pass over the log, parsing only those lines.
 */
export async function auditApprovalEvidence(
  stateDir: string,
  auditDir: string,
): Promise<{ checked: number; problems: ApprovalEvidenceProblem[] }> {
  let requests: Stored[]
  try {
    requests = [...(await new ApprovalStore(stateDir).all()).values()]
  } catch (error) {
    if (!(error instanceof DriftcoreError) || error.code !== 'integrity') throw error
    const file = typeof error.details.file === 'string' ? error.details.file : path.join(stateDir, VIEW_FILE)
    return { checked: 0, problems: [{ id: '-', status: '-', tool: '-', file, message: error.message }] }
  }
  const granted = requests.filter(({ request: r }) => r.status === 'approved' || r.status === 'used')
  if (granted.length === 0) return { checked: 0, problems: [] }
  const digests = new Map<string, Set<string>>()
  const uses = new Map<string, Set<string>>()
  const forged = new Set<string>()
  for (const segment of await listSegments(auditDir)) {
    const bytes = await readFile(segmentPath(auditDir, segment))
    for (const type of [EVIDENCE_TYPE, FORGED_TYPE, USED_TYPE]) {
      const needle = Buffer.from(`"type":"${type}",`)
      for (let hit = bytes.indexOf(needle); hit !== -1; hit = bytes.indexOf(needle, hit + 1)) {
        const start = bytes.lastIndexOf(0x0a, hit) + 1
        const newline = bytes.indexOf(0x0a, hit)
        const record = parseLine(bytes.subarray(start, newline === -1 ? bytes.length : newline))
        if (record?.type !== type || typeof record.subject !== 'string') continue
        if (type === FORGED_TYPE) forged.add(record.subject)
        else if (typeof record.data?.digest === 'string') {
          const into = type === USED_TYPE ? uses : digests
          const set = into.get(record.subject) ?? new Set<string>()
          set.add(record.data.digest)
          into.set(record.subject, set)
        }
      }
    }
  }
  const message = ({ request: r, file }: Stored): string | undefined => {
    if (forged.has(r.id)) return `${r.id} is ${r.status} in ${file}, but a use of it was refused as forged`
    if (r.status === 'approved' && uses.get(r.id)?.has(approvalDigest(r)))
      return `${r.id} is approved in ${file}, but the audit log records its use (${USED_TYPE}): the state was put back`
    if (digests.get(r.id)?.has(approvalDigest(r))) return undefined
    return digests.has(r.id)
      ? `${r.id} is ${r.status} in ${file}, but differs from what its ${EVIDENCE_TYPE} record grants`
      : `${r.id} is ${r.status} in ${file}, but the audit log holds no ${EVIDENCE_TYPE} record for it`
  }
  const problems = granted.flatMap((stored) => {
    const { request: r, file } = stored
    const text = message(stored)
    return text ? [{ id: r.id, status: r.status, tool: r.tool, file, message: text }] : []
  })
  return { checked: granted.length, problems }
}
