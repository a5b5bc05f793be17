import { open } from 'node:fs/promises'
import { DriftcoreError } from '../errors/driftcore-error.js'
import type { AuditRecord } from './record.js'
import { listSegments, segmentPath } from './segments.js'

// Apart from the query (no globs, no hashing), so `audit tail` loads only this and the folder listing.

/** Told about a torn last line the readers skipped (a write a crash cut short). */
export type OnSkipped = (message: string) => void

export const TORN =
  'skipped an unacknowledged partial record (a write a crash cut short; the next append cuts it)'

export function parseRecord(line: string, where: string): AuditRecord {
  try {
    return JSON.parse(line) as AuditRecord
  } catch (error) {
    throw damaged(where, error)
  }
}

export function damaged(where: string, error: unknown): DriftcoreError {
  return new DriftcoreError('integrity', `${where}: not an audit record (${(error as Error).message})`, {
    hint: 'run `driftcore audit verify`',
  })
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
