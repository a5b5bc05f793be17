import type { KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { signatureProblem, type Checkpoint } from './checkpoints.js'
import { checkLineBytes, GENESIS } from './record.js'
import {
  IndexBuilder,
  indexPath,
  readIndexFile,
  type IndexBlock,
  type SegmentIndex,
} from './segment-index.js'
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
  /** How many checkpoints (and anchors) the chain was checked against. */
  checkpoints?: number
  anchors?: number
  problem?: AuditProblem
  /**
   * Bytes past what HEAD acknowledged that end without a newline: a record whose write a crash
   * cut short, never acknowledged to anyone. Not tampering; the next append cuts it.
   */
  torn_tail?: AuditProblem & { bytes: number }
}

export interface VerifyOptions {
  /** The project's signed checkpoints: each must verify and match the chain at its seq. */
  checkpoints?: readonly Checkpoint[]
  checkpointFile?: string
  publicKey?: KeyObject
  /**
   * Heads kept elsewhere (`--anchor`): a checkpoint (checked like the project's own, its
   * signature too when it has one) or a bare record hash that must occur in the chain.
   */
  anchors?: readonly (Checkpoint | { hash: string; seq?: undefined })[]
  /** Set when the project shows that records were written (approvals, published policy): an empty log is then a deleted one. */
  evidence?: string
  /** Checks a checkpoint signed with a person's SSH key (`format: ssh`): why it fails, or undefined. */
  verifySsh?: (checkpoint: Checkpoint) => Promise<string | undefined>
}

// Field by field, so a reordered or padded file is judged by what a query would read from it.
function sameIndex(index: SegmentIndex, built: SegmentIndex | undefined): boolean {
  const block = (x: IndexBlock, y: IndexBlock | undefined) =>
    y !== undefined &&
    x.offset === y.offset &&
    x.first_seq === y.first_seq &&
    x.min_at === y.min_at &&
    x.max_at === y.max_at
  return (
    built !== undefined &&
    index.size === built.size &&
    index.first_seq === built.first_seq &&
    index.last_seq === built.last_seq &&
    index.last_hash === built.last_hash &&
    index.min_at === built.min_at &&
    index.max_at === built.max_at &&
    index.blocks.length === built.blocks.length &&
    index.blocks.every((x, i) => block(x, built.blocks[i]))
  )
}

// Whether a query would trust `index` for these bytes (the checks of `stillDescribes`).
function trusted(index: SegmentIndex, bytes: Buffer): boolean {
  if (index.size > bytes.length || index.size < 76) return false
  if (bytes.toString('latin1', index.size - 76, index.size) !== `,"hash":"${index.last_hash}"}\n`)
    return false
  const next = `{"seq":${index.last_seq + 1},"at":"`
  const after = bytes.toString('latin1', index.size, index.size + next.length)
  return index.size === bytes.length || next.startsWith(after)
}

/**
 * Walks every segment in order and checks each record's hash, seq and link to the one before;
 * then checks the end of the chain against HEAD.json so a removed tail is caught too.
 * Reports the first bad record.
 */
export async function verifyAudit(dir: string, options: VerifyOptions = {}): Promise<AuditVerification> {
  const segments = await listSegments(dir)
  const head = await readHeadFile(path.join(dir, HEAD_FILE))
  const checkpoints = options.checkpoints ?? []
  const anchors = options.anchors ?? []
  // The hashes the chain must have at these seqs, and the bare hashes it must contain.
  const wantedSeqs = new Set(
    [...checkpoints, ...anchors].flatMap((c) => (c.seq === undefined ? [] : [c.seq])),
  )
  const wantedHashes = new Set(anchors.filter((a) => a.seq === undefined).map((a) => a.hash))
  const seen = new Map<number, string>()
  const seenHashes = new Set<string>()
  let expectedSeq = 1
  let prev = GENESIS
  let records = 0
  let headHashSeen: string | undefined
  let tornTail: AuditVerification['torn_tail']
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
    const cached = await readIndexFile(dir, segment)
    const index = cached && trusted(cached, bytes) ? cached : undefined
    const builder = index ? new IndexBuilder() : undefined
    let built: SegmentIndex | undefined
    let start = 0
    let line = 0
    while (start < bytes.length) {
      const newline = bytes.indexOf(0x0a, start)
      line += 1
      const at = { segment, line }
      if (newline === -1) {
        if (head?.segment === segment && segment === segments.at(-1) && start >= head.size) {
          tornTail = {
            ...at,
            bytes: bytes.length - start,
            message: `an unacknowledged partial record (${bytes.length - start} bytes past HEAD), cut on the next append`,
          }
          break
        }
        return fail({ ...at, message: 'the last line is incomplete: the log was truncated mid-record' })
      }
      const check = checkLineBytes(bytes, start, newline)
      const lineStart = start
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
      if (index && builder && lineStart < index.size) {
        builder.add(bytes, lineStart, newline, lineStart)
        if (newline + 1 === index.size) built = new IndexBuilder(builder.result()).result()
      }
      prev = check.hash
      expectedSeq += 1
      records += 1
      if (head && check.seq === head.seq) headHashSeen = check.hash
      if (wantedSeqs.has(check.seq)) seen.set(check.seq, check.hash)
      if (wantedHashes.has(check.hash)) seenHashes.add(check.hash)
    }
    if (index && !sameIndex(index, built)) {
      return fail({
        segment,
        line: 0,
        message: `the query index ${indexPath(dir, segment)} does not match its segment: a query using it would skip records`,
      })
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
  const where = options.checkpointFile ?? 'the checkpoints'
  for (const [i, checkpoint] of checkpoints.entries()) {
    const problem = againstChain(checkpoint, records, seen) ?? (await signed(checkpoint, options))
    if (problem)
      return fail({
        segment: last,
        line: 0,
        seq: checkpoint.seq,
        message: `checkpoint ${i + 1} in ${where} (seq ${checkpoint.seq}): ${problem}`,
      })
  }
  for (const [i, anchor] of anchors.entries()) {
    const problem =
      anchor.seq === undefined
        ? seenHashes.has(anchor.hash)
          ? undefined
          : `no record in the log has hash ${anchor.hash}: the log was rewritten or cut before it`
        : (againstChain(anchor, records, seen) ??
          ('sig' in anchor && anchor.sig !== undefined ? await signed(anchor, options) : undefined))
    if (problem)
      return fail({
        segment: last,
        line: 0,
        ...(anchor.seq ? { seq: anchor.seq } : {}),
        message: `anchor ${i + 1}: ${problem}`,
      })
  }
  if (records === 0 && options.evidence) {
    return fail({
      segment: last,
      line: 0,
      message: `the audit log is empty or missing, but ${options.evidence}: it was deleted`,
    })
  }
  return {
    ok: true,
    records,
    segments: segments.length,
    last_hash: prev,
    ...(head ? { head } : {}),
    checkpoints: checkpoints.length,
    anchors: anchors.length,
    ...(tornTail ? { torn_tail: tornTail } : {}),
  }
}

async function signed(checkpoint: Checkpoint, options: VerifyOptions): Promise<string | undefined> {
  if (checkpoint.format !== 'ssh') return signatureProblem(checkpoint, options.publicKey)
  if (!options.verifySsh)
    return 'it is signed with an SSH key, and there is no allowed_signers to check it against'
  return options.verifySsh(checkpoint)
}

function againstChain(
  checkpoint: { seq: number; hash: string },
  records: number,
  seen: Map<number, string>,
): string | undefined {
  if (checkpoint.seq > records)
    return `the log ends at seq ${records}, shorter than the checkpoint: records were removed`
  if (seen.get(checkpoint.seq) !== checkpoint.hash)
    return `record seq ${checkpoint.seq} has a different hash: the log was rewritten`
  return undefined
}

async function readHeadFile(file: string): Promise<AuditHead | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as AuditHead
  } catch {
    return undefined
  }
}
