import { readFile } from 'node:fs/promises'
import { checkLineBytes } from '../audit/record.js'
import { listSegments, segmentPath } from '../audit/segments.js'
import { APPROVAL_NAMESPACE, parseStatement, type ApprovalSignature } from '../approvals/statement.js'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { sha256 } from '../store/hash.js'
import { parseAllowedSigners } from './allowed-signers.js'
import {
  APPROVERS_CHANGED,
  APPROVERS_NAMESPACE,
  approversStatement,
  verifyWith,
  type Approvers,
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

const TYPES = [APPROVERS_CHANGED, 'approval.approved', 'approval.denied']

interface Line {
  seq: number
  type: string
  actor?: { type?: string; id?: string }
  subject: string
  data: Record<string, any>
}

/**
 * For `audit verify`: replays the log's approvers history in order, so every approval
 * signature is verified against the allowed_signers that was in force when it was made (at the
 * time it says it was made), every change after the first is checked to be signed by an
 * approver of the time, and a person's approval left unsigned while approvers were listed is
 * reported. Last, the file on disk must be the one the log recorded.
 */
export async function auditSignatures(
  auditDir: string,
  approvers: Approvers,
  options: { requireSignature?: boolean | undefined } = {},
): Promise<SignatureAudit> {
  const problems: SignatureProblem[] = []
  let text = ''
  let hash: string | null = null
  let approvals = 0
  let changes = 0
  for (const line of await interestingLines(auditDir)) {
    const problem = (message: string) =>
      problems.push({ seq: line.seq, type: line.type, subject: line.subject, message })
    const listed = parseAllowedSigners(text).length > 0
    if (line.type === APPROVERS_CHANGED) {
      changes += 1
      const d = line.data
      if (typeof d.text !== 'string' || sha256(d.text) !== d.hash) {
        problem(`approvers.changed seq ${line.seq} does not carry a file matching its hash`)
        continue
      }
      if ((d.old_hash ?? null) !== hash)
        problem(`approvers.changed seq ${line.seq} does not follow the change before it`)
      if (listed) {
        const message = await signatureMessage(async () => {
          const sig = d.signature as ApprovalSignature | undefined
          if (!sig) return 'it is not signed by an approver of the time'
          const statement = approversStatement(
            { action: d.action, name: d.name, ...(d.key ? { key: d.key } : {}) },
            d.old_hash ?? null,
            sig.at,
          )
          const verified = await verifyWith(text, statement, sig, APPROVERS_NAMESPACE)
          return verified.principal === sig.principal && line.actor?.id === sig.principal
            ? undefined
            : `it says ${String(sig.principal)} signed it, but ${verified.principal} did`
        })
        if (message)
          problem(`approvers change seq ${line.seq} (${String(d.action)} ${String(d.name)}): ${message}`)
      }
      text = d.text
      hash = d.hash
      continue
    }
    const decision = line.type === 'approval.approved' ? 'approved' : 'denied'
    const sig = line.data.signature as ApprovalSignature | undefined
    if (!sig) {
      const person = line.actor?.type === 'human'
      if (listed && person && line.data.via === undefined && options.requireSignature !== false)
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
