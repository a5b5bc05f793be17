import { open, type FileHandle } from 'node:fs/promises'
import type { AuditRecord } from './record.js'
import { scanLines } from './scan.js'
import { damaged, parseRecord, TORN, type OnSkipped } from './tail.js'
import { segmentIndex, seqAndAtBytes } from './segment-index.js'
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

export interface ReadOptions {
  /**
   * Only records whose `at` can be in this window (ISO strings): a segment's index tells which
   * of its blocks hold one, and a line out of it is not parsed.
   */
  window?: { since?: string | undefined; until?: string | undefined }
  /** Text every wanted line holds, JSON-encoded as written: a line without all of it is not parsed. */
  needles?: string[]
}

/** Every record (or, with options, every candidate) in chain order; a skipped line is never parsed. */
export async function* readAuditRecords(
  dir: string,
  onSkipped?: OnSkipped,
  options: ReadOptions = {},
): AsyncGenerator<AuditRecord> {
  const segments = await listSegments(dir)
  for (const [i, segment] of segments.entries()) {
    const batch: AuditRecord[] = []
    await readSegment(dir, segment, i === segments.length - 1, options, onSkipped, (r) => {
      batch.push(r)
      return true
    })
    yield* batch
  }
}

/** The same, handing each record to `onRecord` as it is read, until it returns false. */
export async function forEachAuditRecord(
  dir: string,
  onRecord: (record: AuditRecord) => boolean,
  onSkipped?: OnSkipped,
  options: ReadOptions = {},
): Promise<void> {
  const segments = await listSegments(dir)
  for (const [i, segment] of segments.entries())
    if (!(await readSegment(dir, segment, i === segments.length - 1, options, onSkipped, onRecord))) return
}

// Reads one segment's candidate lines; false when `onRecord` asked to stop.
async function readSegment(
  dir: string,
  segment: string,
  newest: boolean,
  options: ReadOptions,
  onSkipped: OnSkipped | undefined,
  onRecord: (record: AuditRecord) => boolean,
): Promise<boolean> {
  const file = segmentPath(dir, segment)
  const { since, until } = options.window ?? {}
  const needles = (options.needles ?? []).map((n) => Buffer.from(n)).sort((a, b) => b.length - a.length)
  const [needle, ...others] = needles
  const keep = (bytes: Buffer, start: number, end: number) => {
    if (others.length > 0) {
      const line = bytes.subarray(start, end)
      if (!others.every((n) => line.includes(n))) return false
    }
    if (!since && !until) return true
    // `at` opens every sealed line, so the window is checked before the line is parsed.
    const at = seqAndAtBytes(bytes, start, end)?.at
    return at === undefined || ((!since || at >= since) && (!until || at <= until))
  }
  const handle = await open(file, 'r')
  try {
    const size = (await handle.stat()).size
    const ranges = since || until ? await plan(dir, segment, handle, size, since, until) : [{ from: 0 }]
    let stopped = false
    for (const { from, to } of ranges) {
      const scan = await scanLines(
        handle,
        from,
        to,
        (bytes, start, end, offset) => {
          if (!keep(bytes, start, end)) return true
          stopped = !onRecord(parseRecord(bytes.toString('utf8', start, end), `${file} at byte ${offset}`))
          return !stopped
        },
        needle,
      )
      if (stopped || scan.stopped) return false
      if (to !== undefined || scan.rest.length === 0) continue
      // The last bytes of the file, after its last newline.
      const text = scan.rest.toString('utf8')
      let record: AuditRecord
      try {
        record = JSON.parse(text) as AuditRecord
      } catch (error) {
        if (!newest) throw damaged(`${file} at byte ${scan.restOffset}`, error)
        onSkipped?.(`${file} at byte ${scan.restOffset}: ${TORN}`)
        continue
      }
      if (
        keep(scan.rest, 0, scan.rest.length) &&
        needles.every((n) => scan.rest.includes(n)) &&
        !onRecord(record)
      )
        return false
    }
    return true
  } finally {
    await handle.close()
  }
}

/**
 * The byte ranges of a segment a time window needs: the index's blocks whose `at` range meets
 * it, then whatever was appended past the index. Each range must start where its block says
 * (a line with the block's first seq, right after a newline), else the whole segment is read.
 */
async function plan(
  dir: string,
  segment: string,
  handle: FileHandle,
  size: number,
  since: string | undefined,
  until: string | undefined,
): Promise<{ from: number; to?: number }[]> {
  const index = await segmentIndex(dir, segment, handle, size)
  if (!index) return [{ from: 0 }]
  const ranges: { from: number; to?: number }[] = []
  for (const [i, block] of index.blocks.entries()) {
    if ((since && block.max_at < since) || (until && block.min_at > until)) continue
    const to = index.blocks[i + 1]?.offset ?? index.size
    const last = ranges.at(-1)
    if (last?.to === block.offset) last.to = to
    else {
      if (!(await startsBlock(handle, block.offset, block.first_seq))) return [{ from: 0 }]
      ranges.push({ from: block.offset, to })
    }
  }
  ranges.push({ from: index.size })
  return ranges
}

async function startsBlock(handle: FileHandle, offset: number, seq: number): Promise<boolean> {
  if (offset === 0) return true
  const want = `\n{"seq":${seq},"at":"`
  const bytes = Buffer.alloc(want.length)
  await handle.read(bytes, 0, bytes.length, offset - 1)
  return bytes.toString('latin1') === want
}

export async function queryAudit(
  dir: string,
  query: AuditQuery,
  limit = Infinity,
  onSkipped?: OnSkipped,
): Promise<AuditRecord[]> {
  const keep = await recordFilter(query)
  const out: AuditRecord[] = []
  const since = query.since?.toISOString()
  const until = query.until?.toISOString()
  if (limit <= 0) return out
  await forEachAuditRecord(
    dir,
    (record) => {
      if (keep(record)) out.push(record)
      return out.length < limit
    },
    onSkipped,
    { needles: lineNeedles(query), ...(since || until ? { window: { since, until } } : {}) },
  )
  return out
}

/**
 * The full check of a parsed record. Globs need picomatch, loaded only for a query that has
 * one: a time-window or trace query (and `audit tail`) start without it.
 */
async function recordFilter(query: AuditQuery): Promise<(record: AuditRecord) => boolean> {
  const globs = [query.type, query.subject, query.actor, query.os_user, query.mcp_client, query.session]
  if ([...globs, query.token, query.key].some((g) => g !== undefined) || query.uid !== undefined)
    return (await import('./filter.js')).auditFilter(query)
  const since = query.since?.toISOString()
  const until = query.until?.toISOString()
  return (r) =>
    (!query.trace_id || query.trace_id === r.trace_id) &&
    (!since || r.at >= since) &&
    (!until || r.at <= until)
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
    literal(query.os_user),
    literal(query.mcp_client),
    literal(query.session),
    literal(query.token),
    literal(query.key),
    query.uid === undefined ? undefined : `"uid":${query.uid}`,
  ].filter((n): n is string => n !== undefined)
}

export { tailAudit, type OnSkipped } from './tail.js'
