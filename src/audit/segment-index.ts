import { constants } from 'node:fs'
import { open, rename, rm, type FileHandle } from 'node:fs/promises'
import { scanLines } from './scan.js'
import { segmentPath } from './segments.js'

/**
 * A run of whole lines of a segment, from `offset` to the next block's offset (or the index's
 * `size`), with the earliest and latest `at` in it. Not the first and last: writers in several
 * processes take their times before they take the log's lock, and clocks step back, so `at` is
 * in no order a reader may rely on. A query reads exactly the blocks whose range can meet its
 * window, which is exact whatever the order on disk.
 */
export interface IndexBlock {
  offset: number
  first_seq: number
  min_at: string
  max_at: string
}

/**
 * What a segment holds, so a query can skip it, or the blocks of it out of its window, unread.
 * Kept beside the segment as `<segment>.idx.json`, built by the first query that needs it and
 * extended by later ones as the newest segment grows. `size` (the end of the last whole line
 * indexed) and `last_hash` (that line's hash) tie it to the segment's bytes. The index is a
 * cache, not evidence: `audit verify` recomputes every index it finds and reports one that does
 * not match (a record hidden from queries).
 */
export interface SegmentIndex {
  version: 2
  size: number
  first_seq: number
  last_seq: number
  last_hash: string
  min_at: string
  max_at: string
  blocks: IndexBlock[]
}

/** A new block starts at the first line at least this far past the current block's start. */
export const BLOCK_BYTES = 1024 * 1024

export function indexPath(dir: string, segment: string): string {
  return `${segmentPath(dir, segment)}.idx.json`
}

/** `seq` and `at` of a sealed line: they open it, in that order (see `sealRecord`). */
export function seqAndAt(line: string): { seq: number; at: string } | undefined {
  const match = /^\{"seq":(\d+),"at":"([^"]+)"/.exec(line)
  return match ? { seq: Number(match[1]), at: match[2]! } : undefined
}

/** The same for a line held in a buffer at [start, end), decoding only its opening. */
export function seqAndAtBytes(
  bytes: Buffer,
  start: number,
  end: number,
): { seq: number; at: string } | undefined {
  return seqAndAt(bytes.toString('latin1', start, Math.min(end, start + 80)))
}

// `,"hash":"<64 hex>"}` closes a sealed line.
const HASH_TAIL = 9 + 64 + 2

/**
 * Folds lines, in file order, into an index: deterministic in the lines alone, so an index
 * extended on each query equals the one built from scratch (what `audit verify` compares).
 */
export class IndexBuilder {
  private index: SegmentIndex | undefined

  constructor(from?: SegmentIndex) {
    this.index = from ? { ...from, blocks: from.blocks.map((b) => ({ ...b })) } : undefined
  }

  /** The line at [start, end) of `bytes` (no newline), found at `offset` in the segment. False: not a sealed line. */
  add(bytes: Buffer, start: number, end: number, offset: number): boolean {
    const fields = seqAndAtBytes(bytes, start, end)
    if (!fields || end - start < HASH_TAIL) return false
    const hash = bytes.toString('latin1', end - 66, end - 2)
    const { seq, at } = fields
    const size = offset + (end - start) + 1
    const index = this.index
    if (!index) {
      this.index = {
        version: 2,
        size,
        first_seq: seq,
        last_seq: seq,
        last_hash: hash,
        min_at: at,
        max_at: at,
        blocks: [{ offset, first_seq: seq, min_at: at, max_at: at }],
      }
      return true
    }
    let block = index.blocks.at(-1)!
    if (offset - block.offset >= BLOCK_BYTES) {
      block = { offset, first_seq: seq, min_at: at, max_at: at }
      index.blocks.push(block)
    }
    if (at < block.min_at) block.min_at = at
    if (at > block.max_at) block.max_at = at
    if (at < index.min_at) index.min_at = at
    if (at > index.max_at) index.max_at = at
    index.last_seq = seq
    index.last_hash = hash
    index.size = size
    return true
  }

  result(): SegmentIndex | undefined {
    return this.index
  }
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/

/** An index whose shape holds together: blocks in order from 0, summaries that agree. */
export function wellFormed(value: unknown): value is SegmentIndex {
  const index = value as SegmentIndex
  const int = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0
  const time = (t: unknown): t is string => typeof t === 'string' && ISO.test(t)
  if (
    typeof index !== 'object' ||
    index === null ||
    index.version !== 2 ||
    !int(index.size) ||
    !int(index.first_seq) ||
    !int(index.last_seq) ||
    index.last_seq < index.first_seq ||
    typeof index.last_hash !== 'string' ||
    !/^[0-9a-f]{64}$/.test(index.last_hash) ||
    !time(index.min_at) ||
    !time(index.max_at) ||
    !Array.isArray(index.blocks) ||
    index.blocks.length === 0
  )
    return false
  let min = index.blocks[0]?.min_at
  let max = index.blocks[0]?.max_at
  for (const [i, block] of index.blocks.entries()) {
    const before = index.blocks[i - 1]
    if (
      typeof block !== 'object' ||
      block === null ||
      !int(block.offset) ||
      !int(block.first_seq) ||
      !time(block.min_at) ||
      !time(block.max_at) ||
      block.min_at > block.max_at ||
      block.offset >= index.size ||
      (before ? block.offset <= before.offset || block.first_seq <= before.first_seq : block.offset !== 0)
    )
      return false
    if (block.min_at < min!) min = block.min_at
    if (block.max_at > max!) max = block.max_at
  }
  return (
    index.blocks[0]!.first_seq === index.first_seq &&
    index.blocks.at(-1)!.first_seq <= index.last_seq &&
    min === index.min_at &&
    max === index.max_at
  )
}

/**
 * The index file's content, or undefined when it is missing, unreadable, not a regular file
 * (a link is not followed: whatever it points at is not this segment's index) or malformed.
 */
export async function readIndexFile(dir: string, segment: string): Promise<SegmentIndex | undefined> {
  let handle: FileHandle | undefined
  try {
    handle = await open(indexPath(dir, segment), constants.O_RDONLY | constants.O_NOFOLLOW)
    const info = await handle.stat()
    if (!info.isFile() || info.size > 64 * 1024 * 1024) return undefined
    const parsed = JSON.parse(await handle.readFile('utf8')) as unknown
    return wellFormed(parsed) ? parsed : undefined
  } catch {
    return undefined
  } finally {
    await handle?.close()
  }
}

/**
 * Whether `index` still describes the start of the segment open in `handle` (of `size` bytes):
 * its last line ends at `index.size` and carries `index.last_hash`, and, when the segment has
 * grown, the next line starts with the next seq. Two small reads; what lies between is the
 * chain's to prove (`audit verify`).
 */
export async function stillDescribes(
  handle: FileHandle,
  size: number,
  index: SegmentIndex,
): Promise<boolean> {
  if (index.size > size || index.size < HASH_TAIL + 1) return false
  const tail = Buffer.alloc(HASH_TAIL + 1)
  await handle.read(tail, 0, tail.length, index.size - tail.length)
  if (tail.toString('latin1') !== `,"hash":"${index.last_hash}"}\n`) return false
  if (index.size === size) return true
  const next = `{"seq":${index.last_seq + 1},"at":"`
  const head = Buffer.alloc(next.length)
  const { bytesRead } = await handle.read(head, 0, head.length, index.size)
  // A line still being written may not have reached its `at`: extending stops before it.
  return bytesRead < head.length
    ? next.startsWith(head.toString('latin1', 0, bytesRead))
    : head.toString('latin1') === next
}

/** Writes the index beside its segment, atomically; a reader that cannot (another user's folder) goes on without. */
export async function writeIndexFile(dir: string, segment: string, index: SegmentIndex): Promise<void> {
  const file = indexPath(dir, segment)
  // Not crypto's randomUUID: loading node:crypto costs a query ~8 ms and 1.5 MB; O_EXCL keeps it safe.
  const temp = `${file}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`
  try {
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644)
    try {
      await handle.writeFile(JSON.stringify(index) + '\n')
    } finally {
      await handle.close()
    }
    await rename(temp, file)
  } catch {
    await rm(temp, { force: true }).catch(() => undefined)
  }
}

/**
 * The index of the segment open in `handle` (`size` bytes when opened): the cached one when it
 * still describes the segment, extended over the lines appended since (the newest segment
 * grows), else rebuilt from the bytes. Undefined when the segment is not all sealed lines:
 * the full read then reports the damage. The result is written back when it changed.
 */
export async function segmentIndex(
  dir: string,
  segment: string,
  handle: FileHandle,
  size: number,
): Promise<SegmentIndex | undefined> {
  const cached = await readIndexFile(dir, segment)
  const usable = cached !== undefined && (await stillDescribes(handle, size, cached))
  if (usable && cached.size === size) return cached
  const builder = new IndexBuilder(usable ? cached : undefined)
  let damaged = false
  await scanLines(handle, usable ? cached.size : 0, size, (bytes, start, end, offset) => {
    if (builder.add(bytes, start, end, offset)) return true
    damaged = true
    return false
  })
  const index = builder.result()
  if (damaged || !index) return undefined
  if (!usable || index.size !== cached.size) await writeIndexFile(dir, segment, index)
  return index
}
