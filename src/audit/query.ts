import { createReadStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import picomatch from 'picomatch'
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

export async function* readAuditRecords(dir: string): AsyncGenerator<AuditRecord> {
  for (const segment of await listSegments(dir)) {
    const lines = createInterface({ input: createReadStream(segmentPath(dir, segment)), crlfDelay: Infinity })
    for await (const line of lines) {
      if (line !== '') yield JSON.parse(line) as AuditRecord
    }
  }
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

export async function queryAudit(dir: string, query: AuditQuery, limit = Infinity): Promise<AuditRecord[]> {
  const keep = auditFilter(query)
  const out: AuditRecord[] = []
  for await (const record of readAuditRecords(dir)) {
    if (keep(record)) out.push(record)
    if (out.length >= limit) break
  }
  return out
}

/** The last `count` records, reading segments from the newest back. */
export async function tailAudit(dir: string, count: number): Promise<AuditRecord[]> {
  const segments = await listSegments(dir)
  const out: AuditRecord[] = []
  for (let i = segments.length - 1; i >= 0 && out.length < count; i--) {
    const lines = (await readFile(segmentPath(dir, segments[i]!), 'utf8')).split('\n').filter(Boolean)
    out.unshift(...lines.slice(-(count - out.length)).map((l) => JSON.parse(l) as AuditRecord))
  }
  return out
}
