import { randomBytes } from 'node:crypto'
import { closeSync, openSync, readSync, statSync } from 'node:fs'
import { open, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { appendAll, writeFailed } from '../store/append.js'
import { writeFileAtomic } from '../store/atomic-write.js'
import { withFileLock } from '../store/file-lock.js'
import { GroupCommit, type FsyncPolicy } from '../store/group-commit.js'

export interface IdempotentEntry<R = unknown> {
  tool: string
  input_hash: string
  result: R
  at: string
}

type Line = IdempotentEntry & { key: string }

/** A line waiting to be written, and the entry it holds until then. */
interface Item {
  key: string
  entry: IdempotentEntry
  line: string
}

const COMPACT_BYTES = 8 * 1024 * 1024

// FNV-1a over the key's UTF-16 units, from a seed drawn per process so that keys colliding in
// it cannot be prepared in advance; a collision only costs reading one more line on a hit.
const SEED = randomBytes(4).readUInt32LE(0)
/** The index's hash of a key (exported for tests that need two keys that collide). */
export function keyHash(key: string): number {
  let hash = (SEED ^ 0x811c9dc5) >>> 0
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193)
  // 31 bits: a small integer, which a Map holds without a heap number.
  return hash >> 1
}

/**
 * Remembers the result of a call made with an idempotency key, so a retried call returns the
 * first result instead of acting twice. A key reused for a different call is a conflict.
 *
 * Entries are appended to `state/idempotency.jsonl` (group-committed with the audit log's fsync
 * policy) and indexed in memory; a lookup first reads what other processes appended since.
 * So a call costs a stat and an append, not a rewrite of every entry ever stored: the JSON
 * document this replaces made 10,000 keyed calls quadratic and timed out under 100 concurrent
 * callers. Expired entries are dropped when the file is compacted.
 *
 * Memory holds two small integers per key once its line is on disk: a hash of the key and where
 * the line starts in the file, not the key itself (a 50,000-step run's keys were 2.8 MB of
 * strings). A hit (a retry, rare) reads the lines its hash points to, newest first, and takes
 * the one that names the key; a line that is not one of ours (another process compacted the
 * file) makes the index be read again from the file. So a 50,000-step run holds neither its
 * results nor its keys.
 */
export class IdempotencyStore {
  private readonly file: string
  private readonly legacy: string
  /** A key's entry while its line is not on disk yet (and entries of the old JSON document). */
  private readonly pending = new Map<string, IdempotentEntry>()
  /** Where lines are in the file, by the hash of their key: an offset, or several, oldest first. */
  private readonly written = new Map<number, number | number[]>()
  private readonly commits: GroupCommit<Item>
  private readonly fsync: FsyncPolicy
  private offset = 0
  private loaded = false
  // Reading back and appending both move `offset`: one at a time within this process.
  private turn: Promise<unknown> = Promise.resolve()
  private reading: Promise<unknown> = Promise.resolve()

  constructor(
    stateDir: string,
    private readonly windowMs: number,
    options: { fsync?: FsyncPolicy; batchIntervalMs?: number } = {},
  ) {
    this.file = path.join(stateDir, 'idempotency.jsonl')
    this.legacy = path.join(stateDir, 'idempotency.json')
    this.fsync = options.fsync ?? 'always'
    this.commits = new GroupCommit((lines) => this.write(lines), {
      policy: this.fsync,
      intervalMs: options.batchIntervalMs ?? 10,
      maxBatch: 1024,
      maxBytes: 1024 * 1024,
      sizeOf: (item) => item.line.length,
    })
  }

  async lookup<R>(key: string, tool: string, inputHash: string): Promise<IdempotentEntry<R> | undefined> {
    await this.refresh()
    const entry = this.entryOf(key)
    if (!entry || Date.now() - Date.parse(entry.at) > this.windowMs) return undefined
    if (entry.tool !== tool || entry.input_hash !== inputHash) {
      throw new DriftcoreError(
        'conflict',
        `idempotency key "${key}" was already used for a different call (${entry.tool})`,
        {
          hint: 'use a new key for a different call',
        },
      )
    }
    return entry as IdempotentEntry<R>
  }

  async store(key: string, tool: string, inputHash: string, result: unknown): Promise<void> {
    const entry: IdempotentEntry = { tool, input_hash: inputHash, result, at: new Date().toISOString() }
    this.pending.set(key, entry)
    await this.commits.add({ key, entry, line: JSON.stringify({ key, ...entry }) + '\n' })
  }

  /** Writes what is pending; the kernel calls it on close. */
  flush(): Promise<void> {
    return this.commits.flush()
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.turn.then(fn, fn)
    this.turn = next.catch(() => undefined)
    return next
  }

  // The entry of `key`: kept in memory until its line is written, then read back from the file.
  private entryOf(key: string): IdempotentEntry | undefined {
    const pending = this.pending.get(key)
    if (pending) return pending
    const found = this.fromFile(key)
    if (found !== 'moved') return found
    this.reindex()
    const again = this.fromFile(key)
    return again === 'moved' ? undefined : again
  }

  // The newest line the key's hash points to that names the key. A line that is not where the
  // index says, or whose key has another hash, means the file was rewritten: 'moved'.
  private fromFile(key: string): IdempotentEntry | undefined | 'moved' {
    const hash = keyHash(key)
    const at = this.written.get(hash)
    if (at === undefined) return undefined
    const offsets = typeof at === 'number' ? [at] : at
    let moved = false
    for (let i = offsets.length - 1; i >= 0; i--) {
      const line = this.lineAt(offsets[i]!)
      if (line?.key === key) {
        const { key: _key, ...entry } = line
        return entry
      }
      if (typeof line?.key !== 'string' || keyHash(line.key) !== hash) moved = true
    }
    return moved ? 'moved' : undefined
  }

  private index(key: string, offset: number): void {
    const hash = keyHash(key)
    // An offset below 2^30 is kept as a small integer, not a 16-byte heap number.
    const small = offset < 0x40000000 ? offset | 0 : offset
    const at = this.written.get(hash)
    if (at === undefined) this.written.set(hash, small)
    else if (typeof at === 'number') this.written.set(hash, [at, small])
    else at.push(small)
  }

  // One line from `offset` to its newline (synchronous: a hit is rare and the line small).
  private lineAt(offset: number): Line | undefined {
    let fd: number
    try {
      fd = openSync(this.file, 'r')
    } catch {
      return undefined
    }
    try {
      const chunks: Buffer[] = []
      for (let at = offset, size = 4096; ; at += size, size *= 2) {
        const chunk = Buffer.alloc(size)
        const read = readSync(fd, chunk, 0, size, at)
        const end = chunk.subarray(0, read).indexOf(0x0a)
        if (end >= 0 || read < size) {
          chunks.push(chunk.subarray(0, end >= 0 ? end : read))
          break
        }
        chunks.push(chunk)
      }
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Line
    } catch {
      return undefined
    } finally {
      closeSync(fd)
    }
  }

  // The file was rewritten under us (compacted by another process): offsets are read anew.
  // Entries not yet written stay; everything else is where the file now says.
  private reindex(): void {
    this.written.clear()
    let fd: number
    try {
      fd = openSync(this.file, 'r')
    } catch {
      this.offset = 0
      return
    }
    try {
      const size = statSync(this.file).size
      const buffer = Buffer.alloc(size)
      const read = readSync(fd, buffer, 0, size, 0)
      const end = buffer.subarray(0, read).lastIndexOf(0x0a) + 1
      this.rememberAll(buffer.subarray(0, end), 0)
      this.offset = end
    } finally {
      closeSync(fd)
    }
  }

  private write(items: Item[]): Promise<void> {
    return this.exclusive(() => this.append(items))
  }

  private async append(items: Item[]): Promise<void> {
    await withFileLock(this.file, async () => {
      const handle = await open(this.file, 'a', 0o600)
      try {
        const text = items.map((item) => item.line).join('')
        const { size } = await handle.stat()
        const end = size + Buffer.byteLength(text)
        // Nobody wrote since we last read, and nobody can while we hold the lock: our own lines
        // need not be read back, so lookups are told before the write starts. Read back while
        // a batch was being written, they cost a 50,000-step run 1.8 GB of reads.
        const ours = size <= this.offset
        if (ours) this.offset = Math.max(this.offset, end)
        try {
          await appendAll(handle, text, this.file, size)
          try {
            if (this.fsync !== 'off') await handle.sync()
          } catch (error) {
            await handle.truncate(size).catch(() => undefined)
            throw await writeFailed(this.file, error)
          }
        } catch (error) {
          if (ours && this.offset === end) this.offset = size
          throw error
        }
        // On disk now: the entry gives way to where its line is (unless a newer one took its key).
        let at = size
        for (const item of items) {
          this.index(item.key, at)
          if (this.pending.get(item.key) === item.entry) this.pending.delete(item.key)
          at += Buffer.byteLength(item.line)
        }
      } finally {
        await handle.close()
      }
    })
  }

  // Reads complete lines appended since the last look (by any process); a torn last line waits.
  // Not queued behind our own append (its lock and fsync would make every lookup wait for the
  // disk): offsets only move forward, to where a complete line ends, so reading our own lines
  // back while they are written only remembers them twice.
  private refresh(): Promise<void> {
    return this.loaded ? this.readNew() : this.exclusive(() => this.readNew())
  }

  // One read-back at a time: lookups that arrive while one is under way would each read the
  // same bytes again. Each still starts its own after, so it sees what was appended before it.
  private readNew(): Promise<void> {
    const next = this.reading.then(() => this.readNewOnce())
    this.reading = next.catch(() => undefined)
    return next
  }

  private async readNewOnce(): Promise<void> {
    if (!this.loaded) await this.load()
    // A synchronous stat: microseconds, and it does not queue behind fsyncs in libuv's pool.
    const size = statSync(this.file, { throwIfNoEntry: false })?.size ?? 0
    const from = this.offset
    if (size <= from) return
    const handle = await open(this.file, 'r')
    try {
      const buffer = Buffer.alloc(size - from)
      await handle.read(buffer, 0, buffer.length, from)
      const end = buffer.lastIndexOf(0x0a) + 1
      this.offset = Math.max(this.offset, from + end)
      this.rememberAll(buffer.subarray(0, end), from)
    } finally {
      await handle.close()
    }
  }

  // Complete lines starting at byte `from` of the file: each key is remembered by its offset.
  private rememberAll(buffer: Buffer, from: number): void {
    for (let start = 0; start < buffer.length;) {
      let end = buffer.indexOf(0x0a, start)
      if (end < 0) end = buffer.length
      if (end > start) this.remember(buffer.toString('utf8', start, end), from + start)
      start = end + 1
    }
  }

  private remember(line: string, offset: number): void {
    try {
      const { key } = JSON.parse(line) as Line
      if (typeof key === 'string') this.index(key, offset)
    } catch {
      // A damaged line loses one remembered result: that call would run again, nothing worse.
    }
  }

  // First look: entries of the JSON document older versions kept, and compaction of a big file.
  private async load(): Promise<void> {
    this.loaded = true
    try {
      const doc = JSON.parse(await readFile(this.legacy, 'utf8')) as {
        entries?: Record<string, IdempotentEntry>
      }
      for (const [key, entry] of Object.entries(doc.entries ?? {})) this.pending.set(key, entry)
    } catch {
      // none, or unreadable: nothing to carry over
    }
    const size = await stat(this.file).then(
      (s) => s.size,
      () => 0,
    )
    if (size > COMPACT_BYTES) await this.compact()
  }

  private async compact(): Promise<void> {
    await withFileLock(this.file, async () => {
      const now = Date.now()
      const live = new Map<string, IdempotentEntry>()
      for (const line of (await readFile(this.file, 'utf8')).split('\n')) {
        if (line === '') continue
        try {
          const { key, ...entry } = JSON.parse(line) as Line
          if (now - Date.parse(entry.at) <= this.windowMs) live.set(key, entry)
        } catch {
          // dropped with the expired ones
        }
      }
      const text = [...live].map(([key, entry]) => JSON.stringify({ key, ...entry }) + '\n').join('')
      await writeFileAtomic(this.file, text, { mode: 0o600 })
    })
  }
}
