import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import picomatch from 'picomatch'
import { DriftcoreError } from '../errors/driftcore-error.js'
import type { Actor, AuditRecord, Identity } from './record.js'
import { segmentIndex, seqAndAt } from './segment-index.js'
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

export interface ReadOptions {
  /** Skips a sealed (not the newest) segment when it says so, unread. */
  skipSegment?: (segment: string) => Promise<boolean>
  /** Parses only the lines it keeps: a cheap test on the raw text before JSON.parse. */
  keepLine?: (line: string) => boolean
}

export async function* readAuditRecords(
  dir: string,
  onSkipped?: OnSkipped,
  options: ReadOptions = {},
): AsyncGenerator<AuditRecord> {
  const segments = await listSegments(dir)
  const keep = options.keepLine ?? (() => true)
  for (const [i, segment] of segments.entries()) {
    const newest = i === segments.length - 1
    if (!newest && (await options.skipSegment?.(segment))) continue
    const file = segmentPath(dir, segment)
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity })
    // One line behind, so the last line of the log is known to be the last.
    let pending: string | undefined
    let n = 0
    for await (const line of lines) {
      if (pending !== undefined && keep(pending)) yield parseRecord(pending, `${file}:${n}`)
      pending = line === '' ? undefined : line
      n += 1
    }
    if (pending === undefined) continue
    let record: AuditRecord
    try {
      record = JSON.parse(pending) as AuditRecord
    } catch (error) {
      if (!newest) throw damaged(`${file}:${n}`, error)
      onSkipped?.(`${file}:${n}: ${TORN}`)
      continue
    }
    if (keep(pending)) yield record
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
  const since = query.since?.toISOString()
  const until = query.until?.toISOString()
  const skipSegment =
    since || until
      ? async (segment: string) => {
          const index = await segmentIndex(dir, segment)
          return (
            index !== undefined && ((!!since && index.max_at < since) || (!!until && index.min_at > until))
          )
        }
      : undefined
  const needles = lineNeedles(query)
  // `at` opens every sealed line, so a time window is checked before the line is parsed.
  const inWindow = (line: string) => {
    const at = seqAndAt(line)?.at
    return at === undefined || ((!since || at >= since) && (!until || at <= until))
  }
  const options: ReadOptions = {
    ...(skipSegment ? { skipSegment } : {}),
    ...(needles.length > 0 || since || until
      ? { keepLine: (line: string) => needles.every((n) => line.includes(n)) && inWindow(line) }
      : {}),
  }
  for await (const record of readAuditRecords(dir, onSkipped, options)) {
    if (keep(record)) out.push(record)
    if (out.length >= limit) break
  }
  return out
}

/**
 * Text every matching record's line must contain, from the literal parts of the filters: a
 * line without it is not parsed. Values are written by JSON.stringify, so a literal's JSON
 * form is what appears in the line. A glob contributes the literal text before its first
 * special character: every match starts with it, whereas a run after a brace or inside one is
 * only one alternative (`policy.{published,rollback}`), and `!` negates.
 */
function lineNeedles(query: AuditQuery): string[] {
  const json = (text: string) => JSON.stringify(text).slice(1, -1)
  const literal = (glob: string | undefined) => {
    if (!glob || glob.includes('\\')) return undefined
    const prefix = glob.split(/[*?[\]{}()!|+@,]/)[0]!
    return prefix.length >= 3 ? json(prefix) : undefined
  }
  const actorId = query.actor?.includes(':') ? query.actor.slice(query.actor.indexOf(':') + 1) : query.actor
  return [
    query.trace_id ? `"trace_id":"${json(query.trace_id)}"` : undefined,
    literal(query.type),
    literal(query.subject),
    literal(actorId),
  ].filter((n): n is string => n !== undefined)
}

const TAIL_CHUNK = 64 * 1024

/**
 * The last `count` records, read backwards from the end of the newest segments in chunks, so
 * its cost is that of the records it returns, not of the segment they are in.
 */
export async function tailAudit(dir: string, count: number, onSkipped?: OnSkipped): Promise<AuditRecord[]> {
  const segments = await listSegments(dir)
  const out: AuditRecord[] = []
  for (let i = segments.length - 1; i >= 0 && out.length < count; i--) {
    const file = segmentPath(dir, segments[i]!)
    const lines = await lastLines(file, count - out.length, (torn) => {
      if (i !== segments.length - 1) throw damaged(`${file}: last line`, new Error('incomplete line'))
      onSkipped?.(`${file}: ${torn} bytes at the end: ${TORN}`)
    })
    out.unshift(...lines.map((l) => parseRecord(l, file)))
  }
  return out
}

// The last `want` complete lines of a file; `onTorn` hears of bytes after its last newline.
async function lastLines(file: string, want: number, onTorn: (bytes: number) => void): Promise<string[]> {
  const handle = await open(file, 'r')
  try {
    let pos = (await handle.stat()).size
    // Bytes from `pos` on not yet split: the start of a line whose beginning is further back.
    let rest = Buffer.alloc(0)
    let atEnd = true
    const found: string[] = []
    while (pos > 0 && found.length < want) {
      const start = Math.max(0, pos - TAIL_CHUNK)
      const chunk = Buffer.alloc(pos - start)
      await handle.read(chunk, 0, chunk.length, start)
      pos = start
      let data = rest.length > 0 ? Buffer.concat([chunk, rest]) : chunk
      if (atEnd) {
        const last = data.lastIndexOf(0x0a)
        if (last === -1 && pos > 0) {
          rest = data
          continue
        }
        if (last !== data.length - 1) onTorn(data.length - last - 1)
        data = data.subarray(0, last + 1)
        atEnd = false
      }
      // Before the first newline the line may start further back, unless this is the file's start.
      const first = pos > 0 ? data.indexOf(0x0a) : -1
      if (pos > 0 && first === -1) {
        rest = data
        continue
      }
      rest = data.subarray(0, first + 1)
      const lines = data
        .subarray(first + 1)
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
      found.unshift(...lines.slice(-(want - found.length)))
    }
    return found
  } finally {
    await handle.close()
  }
}
