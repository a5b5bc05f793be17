import { sha256 } from '../store/hash.js'

export interface Actor {
  /** human, agent, ci, workflow, system */
  type: string
  id: string
}

/**
 * How a record's actor was established. The actor (`type:id`) is a name anyone can claim
 * (`DRIFTCORE_ACTOR`); these are the facts behind it: the OS account of the process that wrote
 * the record (from its uid, not the environment), its terminal, and what the caller that gave
 * the actor knew (the MCP client and session, the control-API token's name, the signing key).
 */
export interface Identity {
  /** The login name of the process writing the record, looked up from its uid. */
  os_user: string
  uid: number
  /** The terminal on stdin (e.g. /dev/pts/3), when there is one. */
  tty?: string
  /** Agent calls over MCP: the client's name from initialize (sanitised) and the session id. */
  mcp?: { client: string; session: string }
  /** Control-API calls: the person token's *name* (never the token). */
  token?: string
  /** Approvals: the key the decision was signed with (fingerprint in `SHA256:…` form). */
  key?: { principal: string; fingerprint: string }
}

export interface AuditEntry {
  type: string
  actor: Actor
  /** What the caller knows about how the actor was established; merged over the process's own. */
  identity?: Partial<Identity>
  /** What the record is about: a tool id, an approval id, a bundle name… */
  subject: string
  trace_id?: string
  /**
   * A function is called when the record is written, not when it is made: a caller on a hot
   * path (the gate) answers first and builds its record after. It must only read values that
   * no longer change.
   */
  data?: Record<string, unknown> | (() => Record<string, unknown>)
  /** The caller redacted `data` itself (the gate, which knows which parts it computed). */
  redacted?: boolean
}

export interface AuditRecord {
  seq: number
  at: string
  type: string
  actor: Actor
  /** Absent in records written before identities were recorded. */
  identity?: Identity
  subject: string
  trace_id: string
  data: Record<string, unknown>
  prev: string
  hash: string
}

export const GENESIS = '0'.repeat(64)
/** `,"hash":"<64 hex>"}` */
const HASH_SUFFIX_LENGTH = ',"hash":"'.length + 64 + 2
const SEQ_PREFIX = Buffer.from('{"seq":')
const PREV_FIELD = Buffer.from(',"prev":"')

/**
 * A record's hash is sha256 of its exact JSON text up to (not including) `,"hash":`. That text
 * ends with `prev`, so each line commits to everything before it; and hashing the bytes as
 * written, rather than re-serialised values, keeps verification to one sha256 per line.
 */
export function sealRecord(
  entry: Omit<AuditEntry, 'identity'> & { identity?: Identity },
  seq: number,
  prev: string,
  at: string,
  traceId: string,
): { line: string; hash: string } {
  return sealText(recordText(entry, at, traceId), seq, prev)
}

/**
 * A record's fields between `seq` and `prev`, as JSON text without braces: everything of the
 * line that does not depend on where in the chain it lands, so it can be serialised before the
 * lock is taken (the audit log does it right after the call that made it).
 */
export function recordText(
  entry: Omit<AuditEntry, 'identity'> & { identity?: Identity },
  at: string,
  traceId: string,
): string {
  return JSON.stringify({
    at,
    type: entry.type,
    actor: entry.actor,
    ...(entry.identity ? { identity: entry.identity } : {}),
    subject: entry.subject,
    trace_id: traceId,
    data: entry.data ?? {},
  }).slice(1, -1)
}

/** Seals `recordText` at `seq` after `prev`: the same line `JSON.stringify` of the whole record gives. */
export function sealText(text: string, seq: number, prev: string): { line: string; hash: string } {
  const sealed = `{"seq":${seq},${text},"prev":${JSON.stringify(prev)}`
  const hash = sha256(sealed)
  return { line: `${sealed},"hash":"${hash}"}\n`, hash }
}

export interface LineCheck {
  seq: number
  prev: string
  hash: string
  /** False when the text does not hash to its own hash field. */
  intact: boolean
}

/**
 * Checks the sealed line at bytes [start, end) of `buffer` (no newline) without decoding or
 * parsing it: seq, prev and hash sit at fixed places. Undefined when it is not a sealed line.
 */
export function checkLineBytes(buffer: Buffer, start: number, end: number): LineCheck | undefined {
  const sealedEnd = end - HASH_SUFFIX_LENGTH
  const prevStart = sealedEnd - 65
  if (
    prevStart - PREV_FIELD.length <= start ||
    buffer[end - 1] !== 0x7d ||
    buffer.compare(SEQ_PREFIX, 0, SEQ_PREFIX.length, start, start + SEQ_PREFIX.length) !== 0 ||
    buffer.compare(PREV_FIELD, 0, PREV_FIELD.length, prevStart - PREV_FIELD.length, prevStart) !== 0
  ) {
    return undefined
  }
  let seq = 0
  let i = start + SEQ_PREFIX.length
  for (; i < end && buffer[i]! >= 0x30 && buffer[i]! <= 0x39; i++) seq = seq * 10 + buffer[i]! - 0x30
  if (buffer[i] !== 0x2c || i === start + SEQ_PREFIX.length) return undefined
  const hash = buffer.toString('latin1', end - 66, end - 2)
  return {
    seq,
    prev: buffer.toString('latin1', prevStart, prevStart + 64),
    hash,
    intact: sha256(buffer.subarray(start, sealedEnd)) === hash,
  }
}

/** The same check for a line held as a string. */
export function checkLine(line: string): LineCheck | undefined {
  const bytes = Buffer.from(line)
  return checkLineBytes(bytes, 0, bytes.length)
}
