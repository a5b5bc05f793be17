import { sha256 } from '../store/hash.js'

export interface Actor {
  /** human, agent, ci, workflow, system */
  type: string
  id: string
}

export interface AuditEntry {
  type: string
  actor: Actor
  /** What the record is about: a tool id, an approval id, a bundle name… */
  subject: string
  trace_id?: string
  data?: Record<string, unknown>
}

export interface AuditRecord {
  seq: number
  at: string
  type: string
  actor: Actor
  subject: string
  trace_id: string
  data: Record<string, unknown>
  prev: string
  hash: string
}

export const GENESIS = '0'.repeat(64)
const HASH_SUFFIX_LENGTH = ',"hash":"'.length + 64 + 2

/**
 * A record's hash covers its exact JSON text without the hash field, and that text ends with
 * `prev`, so each line commits to everything before it. Hashing bytes rather than re-serialised
 * values keeps verification to one sha256 per line.
 */
export function sealRecord(
  entry: AuditEntry,
  seq: number,
  prev: string,
  at: string,
  traceId: string,
): { line: string; hash: string } {
  const body = JSON.stringify({
    seq,
    at,
    type: entry.type,
    actor: entry.actor,
    subject: entry.subject,
    trace_id: traceId,
    data: entry.data ?? {},
    prev,
  })
  const hash = sha256(body)
  return { line: `${body.slice(0, -1)},"hash":"${hash}"}\n`, hash }
}

export interface LineCheck {
  seq: number
  prev: string
  hash: string
  /** False when the text does not hash to its own hash field. */
  intact: boolean
}

/** Reads seq, prev and hash from a sealed line without a full JSON parse. */
export function checkLine(line: string): LineCheck | undefined {
  if (!line.startsWith('{"seq":') || !line.endsWith('"}')) return undefined
  const hash = line.slice(line.length - 66, line.length - 2)
  const body = line.slice(0, line.length - HASH_SUFFIX_LENGTH) + '}'
  const prevAt = body.length - 1 - 64 - 1
  if (!body.startsWith('"prev":"', prevAt - 8)) return undefined
  const prev = body.slice(prevAt, prevAt + 64)
  const seq = Number(line.slice(7, line.indexOf(',', 7)))
  if (!Number.isSafeInteger(seq)) return undefined
  return { seq, prev, hash, intact: sha256(body) === hash }
}
