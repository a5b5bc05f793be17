import { writeSync } from 'node:fs'
import { statfs, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError } from '../errors/driftcore-error.js'

/**
 * Appends all of `text` to an open file, or none of it. `write()` may write fewer bytes than
 * asked (a full disk writes what fits, then fails the rest with ENOSPC): the rest is written
 * in further calls, and if one fails the file is cut back to `size` (its length before this
 * append), so nobody ever acknowledges, or chains after, half a record. The failure is an
 * `io` error naming the file and the space left on its filesystem.
 *
 * Up to SYNC_WRITE_BYTES are written synchronously: copying a few KiB into the page cache
 * takes microseconds, while a promise-based write waits its turn in libuv's thread pool behind
 * the fsyncs of other files (in a chain of steps, one such wait per journal event). Bigger
 * batches are written asynchronously so a large flush never stalls the event loop, and so is
 * any append whose caller says nobody waits for it (`sync: false`): then the event loop has
 * better things to do than wait on a busy disk.
 */
const SYNC_WRITE_BYTES = 64 * 1024

export async function appendAll(
  handle: FileHandle,
  text: string | Buffer,
  file: string,
  size: number,
  options: { sync?: boolean } = {},
): Promise<number> {
  const buffer = typeof text === 'string' ? Buffer.from(text) : text
  let written = 0
  const sync = options.sync !== false && buffer.length <= SYNC_WRITE_BYTES
  try {
    while (written < buffer.length) {
      const bytesWritten = sync
        ? writeSync(handle.fd, buffer, written, buffer.length - written)
        : (await handle.write(buffer, written, buffer.length - written)).bytesWritten
      if (bytesWritten <= 0) throw Object.assign(new Error('write wrote nothing'), { code: 'EIO' })
      written += bytesWritten
    }
  } catch (error) {
    if (written > 0) await handle.truncate(size).catch(() => undefined)
    throw await writeFailed(file, error)
  }
  return buffer.length
}

/** An `io` error for a failed write to `file`, saying how much space its filesystem has left. */
export async function writeFailed(file: string, error: unknown): Promise<DriftcoreError> {
  if (error instanceof DriftcoreError) return error
  const errno = (error as NodeJS.ErrnoException).code ?? 'EIO'
  const free = await freeBytes(path.dirname(file))
  const space = free === undefined ? '' : ` (${formatBytes(free)} free on its filesystem)`
  return new DriftcoreError('io', `writing ${file} failed: ${errno}${space}`, {
    hint:
      errno === 'ENOSPC' || errno === 'EDQUOT'
        ? 'free some space, then retry: nothing past the last complete record was kept'
        : 'check the file and its folder, then retry',
    details: { file, errno, ...(free === undefined ? {} : { free_bytes: free }) },
    cause: error,
  })
}

export async function freeBytes(dir: string): Promise<number | undefined> {
  try {
    const s = await statfs(dir)
    return s.bavail * s.bsize
  } catch {
    return undefined
  }
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}
