import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { segmentPath } from './segments.js'

/**
 * What a sealed segment holds, so a query can skip it without reading it: its seq range and
 * the earliest and latest `at` (not its first and last: writers in several processes take
 * their times before they take the log's lock, so `at` may step back a little). Kept beside
 * the segment as `<segment>.idx.json`, built by the first query that needs it; `size` ties it
 * to the segment's bytes. The index is a cache, not evidence: `audit verify` recomputes every
 * index it finds and reports one that does not match (a record hidden from queries).
 */
export interface SegmentIndex {
  size: number
  first_seq: number
  last_seq: number
  min_at: string
  max_at: string
}

export function indexPath(dir: string, segment: string): string {
  return `${segmentPath(dir, segment)}.idx.json`
}

/** `seq` and `at` of a sealed line: they open it, in that order (see `sealRecord`). */
export function seqAndAt(line: string): { seq: number; at: string } | undefined {
  const match = /^\{"seq":(\d+),"at":"([^"]+)"/.exec(line)
  return match ? { seq: Number(match[1]), at: match[2]! } : undefined
}

/** Folds one record's seq and at into a summary being built. */
export function extendIndex(index: Omit<SegmentIndex, 'size'> | undefined, seq: number, at: string) {
  if (!index) return { first_seq: seq, last_seq: seq, min_at: at, max_at: at }
  index.last_seq = seq
  if (at < index.min_at) index.min_at = at
  if (at > index.max_at) index.max_at = at
  return index
}

async function build(dir: string, segment: string, size: number): Promise<SegmentIndex | undefined> {
  let index: Omit<SegmentIndex, 'size'> | undefined
  const lines = createInterface({ input: createReadStream(segmentPath(dir, segment)), crlfDelay: Infinity })
  for await (const line of lines) {
    const fields = seqAndAt(line)
    if (!fields) return undefined // damaged: let the full read report it
    index = extendIndex(index, fields.seq, fields.at)
  }
  return index ? { size, ...index } : undefined
}

/**
 * The index of a sealed segment, read or (re)built. A reader that cannot write the audit
 * folder (another user's service) still gets the summary, just not the cache.
 */
export async function segmentIndex(dir: string, segment: string): Promise<SegmentIndex | undefined> {
  const size = (await stat(segmentPath(dir, segment))).size
  const file = indexPath(dir, segment)
  try {
    const cached = JSON.parse(await readFile(file, 'utf8')) as SegmentIndex
    if (cached.size === size) return cached
  } catch {
    // missing or unreadable: rebuilt below
  }
  const index = await build(dir, segment, size)
  if (index) {
    const temp = `${file}.${randomUUID()}.tmp`
    try {
      await writeFile(temp, JSON.stringify(index) + '\n')
      await rename(temp, file)
    } catch {
      await rm(temp, { force: true }).catch(() => undefined)
    }
  }
  return index
}
