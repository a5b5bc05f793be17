import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { checkLineBytes, GENESIS } from './record.js'
import { HEAD_FILE, listSegments, segmentPath, type AuditHead } from './segments.js'

export interface AuditProblem {
  segment: string
  /** 1-based line within the segment. */
  line: number
  seq?: number
  message: string
}

export interface AuditVerification {
  ok: boolean
  records: number
  segments: number
  /** The last record's hash: keep it somewhere else to anchor the chain. */
  last_hash: string
  head?: AuditHead
  problem?: AuditProblem
}

/**
 * Walks every segment in order and checks each record's hash, seq and link to the one before;
 * then checks the end of the chain against HEAD.json so a removed tail is caught too.
 * Reports the first bad record.
 */
export async function verifyAudit(dir: string): Promise<AuditVerification> {
  const segments = await listSegments(dir)
  const head = await readHeadFile(path.join(dir, HEAD_FILE))
  let expectedSeq = 1
  let prev = GENESIS
  let records = 0
  let headHashSeen: string | undefined
  const fail = (problem: AuditProblem): AuditVerification => ({
    ok: false,
    records,
    segments: segments.length,
    last_hash: prev,
    ...(head ? { head } : {}),
    problem,
  })

  for (const segment of segments) {
    const bytes = await readFile(segmentPath(dir, segment))
    let start = 0
    let line = 0
    while (start < bytes.length) {
      const newline = bytes.indexOf(0x0a, start)
      line += 1
      const at = { segment, line }
      if (newline === -1)
        return fail({ ...at, message: 'the last line is incomplete: the log was truncated mid-record' })
      const check = checkLineBytes(bytes, start, newline)
      start = newline + 1
      if (!check) return fail({ ...at, message: 'not a sealed audit record: the line was edited or damaged' })
      if (!check.intact) {
        return fail({
          ...at,
          seq: check.seq,
          message: `record seq ${check.seq} was edited: its hash does not match its content`,
        })
      }
      if (check.seq !== expectedSeq) {
        return fail({
          ...at,
          seq: check.seq,
          message: `expected seq ${expectedSeq} but found ${check.seq}: records were deleted or reordered`,
        })
      }
      if (check.prev !== prev) {
        return fail({
          ...at,
          seq: check.seq,
          message: `record seq ${check.seq} does not link to the record before it`,
        })
      }
      prev = check.hash
      expectedSeq += 1
      records += 1
      if (head && check.seq === head.seq) headHashSeen = check.hash
    }
  }

  const last = segments.at(-1) ?? ''
  if (head && head.seq > records) {
    return fail({
      segment: last,
      line: 0,
      seq: head.seq,
      message: `the log ends at seq ${records} but HEAD.json records seq ${head.seq}: records were removed from the tail`,
    })
  }
  if (head && head.seq > 0 && headHashSeen !== head.hash) {
    return fail({
      segment: head.segment,
      line: 0,
      seq: head.seq,
      message: `record seq ${head.seq} does not match HEAD.json`,
    })
  }
  if (!head && records > 0) {
    return fail({
      segment: last,
      line: 0,
      message: 'HEAD.json is missing, so a removed tail cannot be ruled out',
    })
  }
  return { ok: true, records, segments: segments.length, last_hash: prev, ...(head ? { head } : {}) }
}

async function readHeadFile(file: string): Promise<AuditHead | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as AuditHead
  } catch {
    return undefined
  }
}
