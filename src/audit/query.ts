import { createReadStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import picomatch from 'picomatch'
import { DriftcoreError } from '../errors/driftcore-error.js'
import type { Actor, AuditRecord, Identity } from './record.js'
import { listSegments, segmentPath } from './segments.js'

export interface AuditQuery {
  /** Glob over record types, e.g. `tool.*`. */
  type?: string
  /**
   * `type:id`, or just an id; or a glob over either (`agent:claude-code/*`, `human:*`,
   * `*:alice`), where `*` matches any characters, `/` included.
   */
  actor?: string
  /** Globs over the record's identity (a record written before identities never matches). */
  os_user?: string
  uid?: number
  mcp_client?: string
  session?: string
  token?: string
  /** The signing key's principal or fingerprint. */
  key?: string
  /** Glob over subjects, e.g. `drush.*`. */
  subject?: string
  since?: Date
  until?: Date
  trace_id?: string
}

/** Told about a torn last line the readers skipped (a write a crash cut short). */
export type OnSkipped = (message: string) => void

const TORN = 'skipped an unacknowledged partial record (a write a crash cut short; the next append cuts it)'

export async function* readAuditRecords(dir: string, onSkipped?: OnSkipped): AsyncGenerator<AuditRecord> {
  const segments = await listSegments(dir)
  for (const [i, segment] of segments.entries()) {
    const file = segmentPath(dir, segment)
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity })
    // One line behind, so the last line of the log is known to be the last.
    let pending: string | undefined
    let n = 0
    for await (const line of lines) {
      if (pending !== undefined) yield parseRecord(pending, `${file}:${n}`)
      pending = line === '' ? undefined : line
      n += 1
    }
    if (pending === undefined) continue
    try {
      yield JSON.parse(pending) as AuditRecord
    } catch (error) {
      if (i !== segments.length - 1) throw damaged(`${file}:${n}`, error)
      onSkipped?.(`${file}:${n}: ${TORN}`)
    }
  }
}

function parseRecord(line: string, where: string): AuditRecord {
  try {
    return JSON.parse(line) as AuditRecord
  } catch (error) {
    throw damaged(where, error)
  }
}

function damaged(where: string, error: unknown): DriftcoreError {
  return new DriftcoreError('integrity', `${where}: not an audit record (${(error as Error).message})`, {
    hint: 'run `driftcore audit verify`',
  })
}

export function auditFilter(query: AuditQuery): (record: AuditRecord) => boolean {
  const type = query.type ? picomatch(query.type) : undefined
  const subject = query.subject ? picomatch(query.subject) : undefined
  const actor = query.actor ? actorMatcher(query.actor) : undefined
  const identity = identityMatcher(query)
  const since = query.since?.toISOString()
  const until = query.until?.toISOString()
  return (r) =>
    (!type || type(r.type)) &&
    (!subject || subject(r.subject)) &&
    (!actor || actor(r.actor)) &&
    (!identity || identity(r.identity)) &&
    (!query.trace_id || query.trace_id === r.trace_id) &&
    (!since || r.at >= since) &&
    (!until || r.at <= until)
}

// Actor ids hold `/` (`agent:claude-code/<session>`) but are not paths: `agent:*` should find
// every agent, so `*` crosses `/` here (picomatch's bash mode). A pattern with no glob keeps
// its exact meaning; one with no `:` may match the id alone, like an exact id does.
function actorMatcher(pattern: string): (actor: Actor) => boolean {
  if (!picomatch.scan(pattern).isGlob) return (a) => pattern === `${a.type}:${a.id}` || pattern === a.id
  const match = picomatch(pattern, { dot: true, bash: true })
  const idAlone = !pattern.includes(':')
  return (a) => match(`${a.type}:${a.id}`) || (idAlone && match(a.id))
}

function identityMatcher(query: AuditQuery): ((identity: Identity | undefined) => boolean) | undefined {
  const glob = (pattern: string | undefined) =>
    pattern === undefined ? undefined : picomatch(pattern, { dot: true, bash: true })
  const tests: ((i: Identity) => boolean)[] = []
  const add = (pattern: string | undefined, ...fields: ((i: Identity) => string | undefined)[]) => {
    const match = glob(pattern)
    if (!match) return
    tests.push((i) =>
      fields.some((field) => {
        const value = field(i)
        return value !== undefined && match(value)
      }),
    )
  }
  add(query.os_user, (i) => i.os_user)
  add(query.mcp_client, (i) => i.mcp?.client)
  add(query.session, (i) => i.mcp?.session)
  add(query.token, (i) => i.token)
  add(
    query.key,
    (i) => i.key?.principal,
    (i) => i.key?.fingerprint,
  )
  const uid = query.uid
  if (uid !== undefined) tests.push((i) => i.uid === uid)
  if (tests.length === 0) return undefined
  return (identity) => identity !== undefined && tests.every((test) => test(identity))
}

export async function queryAudit(
  dir: string,
  query: AuditQuery,
  limit = Infinity,
  onSkipped?: OnSkipped,
): Promise<AuditRecord[]> {
  const keep = auditFilter(query)
  const out: AuditRecord[] = []
  for await (const record of readAuditRecords(dir, onSkipped)) {
    if (keep(record)) out.push(record)
    if (out.length >= limit) break
  }
  return out
}

/** The last `count` records, reading segments from the newest back. */
export async function tailAudit(dir: string, count: number, onSkipped?: OnSkipped): Promise<AuditRecord[]> {
  const segments = await listSegments(dir)
  const out: AuditRecord[] = []
  for (let i = segments.length - 1; i >= 0 && out.length < count; i--) {
    const file = segmentPath(dir, segments[i]!)
    const lines = (await readFile(file, 'utf8')).split('\n')
    // The text after the last newline: '' when the segment ends cleanly, else a torn record.
    const torn = lines.pop()!
    if (torn !== '') {
      if (i !== segments.length - 1)
        throw damaged(`${file}:${lines.length + 1}`, new Error('incomplete line'))
      onSkipped?.(`${file}:${lines.length + 1}: ${TORN}`)
    }
    const kept = lines.filter(Boolean).slice(-(count - out.length))
    out.unshift(...kept.map((l) => parseRecord(l, file)))
  }
  return out
}
