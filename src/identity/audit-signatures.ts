import { readFile } from 'node:fs/promises'
import { checkLineBytes } from '../audit/record.js'
import { listSegments, segmentPath } from '../audit/segments.js'
import { APPROVAL_NAMESPACE, parseStatement, type ApprovalSignature } from '../approvals/statement.js'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { parseAllowedSigners } from './allowed-signers.js'
import {
  APPROVERS_CHANGED,
  approversRecordOf,
  changeProblem,
  verifyWith,
  type Approvers,
  type ApproversRecord,
  type ChangedRecord,
} from './approvers.js'

export interface SignatureProblem {
  seq: number
  type: string
  subject: string
  message: string
}

export interface SignatureAudit {
  /** Approval decisions whose signature was checked, and approvers changes replayed. */
  approvals: number
  approvers_changes: number
  problems: SignatureProblem[]
}

// approval.counted: one person's approval of a request that needs several, signed the same way.
const TYPES = [APPROVERS_CHANGED, 'approval.approved', 'approval.counted', 'approval.denied']

interface Line extends ChangedRecord {
  seq: number
  type: string
  subject: string
  data: NonNullable<ChangedRecord['data']> & {
    tool?: unknown
    input_hash?: unknown
    via?: unknown
    signature?: ApprovalSignature & NonNullable<ChangedRecord['data']>['signature']
  }
}

/**
 * For `audit verify`: replays the log's approvers history in order, so every approval
 * signature is verified against the allowed_signers that was in force when it was made (at the
 * time it says it was made), every change after the first is checked to be signed by an
 * approver of the time, and a person's approval left unsigned while approvers were listed is
 * reported. Last, the file on disk must be the one the log recorded.
 */
export async function auditSignatures(auditDir: string, approvers: Approvers): Promise<SignatureAudit> {
  const problems: SignatureProblem[] = []
  let before: ApproversRecord | undefined
  let approvals = 0
  let changes = 0
  for (const line of await interestingLines(auditDir)) {
    const problem = (message: string) =>
      problems.push({ seq: line.seq, type: line.type, subject: line.subject, message })
    const text = before?.text ?? ''
    const listed = parseAllowedSigners(text).length > 0
    if (line.type === APPROVERS_CHANGED) {
      changes += 1
      const change = approversRecordOf(line)
      if (!change) {
        problem(`approvers.changed seq ${line.seq} does not carry a file matching its hash`)
        continue
      }
      const current = { ...change, seq: line.seq }
      const message = await changeProblem(current, before)
      if (message) problem(message)
      before = current
      continue
    }
    const decision = line.type === 'approval.denied' ? 'denied' : 'approved'
    const sig = line.data.signature
    if (!sig) {
      const person = line.actor?.type === 'human'
      if (listed && person && line.data.via === undefined)
        problem(
          `${line.subject} was ${decision} by ${line.actor?.id ?? '?'} without a signature while approvers were listed`,
        )
      continue
    }
    approvals += 1
    const message = await signatureMessage(async () => {
      const fields = parseStatement(String(sig.statement))
      if (!fields) return 'its statement is not a driftcore approval statement'
      const mismatch = (
        [
          ['id', line.subject],
          ['tool', line.data.tool],
          ['input_hash', line.data.input_hash],
          ['decision', decision],
          ['at', sig.at],
        ] as const
      ).find(([key, value]) => fields[key] !== value)
      if (mismatch)
        return `its signed statement says ${mismatch[0]} ${JSON.stringify(fields[mismatch[0]])}, the record ${JSON.stringify(mismatch[1])}`
      if (line.actor?.type !== 'human' || line.actor.id !== sig.principal)
        return `the record names ${line.actor?.type}:${line.actor?.id}, but ${sig.principal} signed`
      const verified = await verifyWith(text, sig.statement, sig, APPROVAL_NAMESPACE)
      return verified.principal === sig.principal && verified.fingerprint === sig.fingerprint
        ? undefined
        : `it says ${sig.principal} (${sig.fingerprint}) signed it, but ${verified.principal} (${verified.fingerprint}) did`
    })
    if (message) problem(`${line.subject} ${decision}: ${message}`)
  }
  const state = await approvers.state()
  if (state.problem)
    problems.push({ seq: 0, type: APPROVERS_CHANGED, subject: approvers.file, message: state.problem })
  return { approvals, approvers_changes: changes, problems }
}

// ssh-keygen's refusals are findings; anything else (ssh-keygen missing) stops the check.
async function signatureMessage(check: () => Promise<string | undefined>): Promise<string | undefined> {
  try {
    return await check()
  } catch (error) {
    if (error instanceof DriftcoreError && error.code === 'integrity') return error.message
    throw error
  }
}

// The records that matter here, in log order; only those lines are parsed.
async function interestingLines(auditDir: string): Promise<Line[]> {
  const lines: Line[] = []
  for (const segment of await listSegments(auditDir).catch(() => [] as string[])) {
    const bytes = await readFile(segmentPath(auditDir, segment))
    const starts = new Set<number>()
    for (const type of TYPES) {
      const needle = Buffer.from(`"type":"${type}",`)
      for (let hit = bytes.indexOf(needle); hit !== -1; hit = bytes.indexOf(needle, hit + 1))
        starts.add(bytes.lastIndexOf(0x0a, hit) + 1)
    }
    for (const start of [...starts].sort((a, b) => a - b)) {
      const newline = bytes.indexOf(0x0a, start)
      const end = newline === -1 ? bytes.length : newline
      // An edited line is the chain check's finding; here only intact records count.
      const check = checkLineBytes(bytes, start, end)
      if (!check?.intact) continue
      try {
        const record = JSON.parse(bytes.toString('utf8', start, end)) as Line
        if (TYPES.includes(record.type)) lines.push({ ...record, data: record.data ?? {} })
      } catch {
        // not a record
      }
    }
  }
  return lines
}
