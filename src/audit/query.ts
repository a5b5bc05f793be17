import { createReadStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import picomatch from 'picomatch'
import { DriftcoreError } from '../errors/driftcore-error.js'
import type { AuditRecord } from './record.js'
import { listSegments, segmentPath } from './segments.js'

export interface AuditQuery {
  /** Glob over record types, e.g. `tool.*`. */
  type?: string
  /** `type:id`, or just an id. */
  actor?: string
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
  const since = query.since?.toISOString()
  const until = query.until?.toISOString()
  return (r) =>
    (!type || type(r.type)) &&
    (!subject || subject(r.subject)) &&
    (!query.actor || query.actor === `${r.actor.type}:${r.actor.id}` || query.actor === r.actor.id) &&
    (!query.trace_id || query.trace_id === r.trace_id) &&
    (!since || r.at >= since) &&
    (!until || r.at <= until)
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
