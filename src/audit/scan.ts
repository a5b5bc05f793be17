import type { FileHandle } from 'node:fs/promises'

const CHUNK = 1024 * 1024

/**
 * Hears one whole line: bytes [start, end) of `bytes` (no newline), at `offset` in the file.
 * Returns false to stop the scan.
 */
export type OnLine = (bytes: Buffer, start: number, end: number, offset: number) => boolean | void

/**
 * Reads bytes [from, to) of a file (to its end when `to` is undefined) in large chunks and hands
 * each whole line to `onLine`, without decoding the bytes. With a `needle`, only the lines that
 * contain it are handed over, found with `Buffer.indexOf` (a memchr-like search), so a query
 * costs about what grep costs over the same bytes. Returns the bytes after the last newline
 * (a torn or unterminated last line) and whether the scan was stopped.
 */
export async function scanLines(
  handle: FileHandle,
  from: number,
  to: number | undefined,
  onLine: OnLine,
  needle?: Buffer,
): Promise<{ rest: Buffer; restOffset: number; stopped: boolean }> {
  let pos = from
  // Bytes from `restOffset` not yet handed over: the start of a line that ends further on.
  let rest = Buffer.alloc(0)
  let restOffset = from
  for (;;) {
    const want = to === undefined ? CHUNK : Math.min(CHUNK, to - pos)
    if (want <= 0) break
    const chunk = Buffer.allocUnsafe(want)
    const { bytesRead } = await handle.read(chunk, 0, want, pos)
    if (bytesRead === 0) break
    pos += bytesRead
    const data =
      rest.length > 0 ? Buffer.concat([rest, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead)
    const last = data.lastIndexOf(0x0a)
    if (last === -1) {
      rest = data
      continue
    }
    if (!handLines(data, last, restOffset, onLine, needle))
      return { rest: Buffer.alloc(0), restOffset, stopped: true }
    rest = Buffer.from(data.subarray(last + 1))
    restOffset += last + 1
  }
  return { rest, restOffset, stopped: false }
}

// The lines of data[0, last] (which ends with a newline), those holding `needle` if given.
function handLines(data: Buffer, last: number, base: number, onLine: OnLine, needle?: Buffer): boolean {
  let pos = 0
  while (pos <= last) {
    let start = pos
    if (needle) {
      const hit = data.indexOf(needle, pos)
      if (hit === -1 || hit > last) return true
      start = data.lastIndexOf(0x0a, hit) + 1
    }
    const end = data.indexOf(0x0a, start)
    if (end > start && onLine(data, start, end, base + start) === false) return false
    pos = end + 1
  }
  return true
}
