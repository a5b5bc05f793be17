import { statSync } from 'node:fs'
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

const COMPACT_BYTES = 8 * 1024 * 1024

/**
 * Remembers the result of a call made with an idempotency key, so a retried call returns the
 * first result instead of acting twice. A key reused for a different call is a conflict.
 *
 * Entries are appended to `state/idempotency.jsonl` (group-committed with the audit log's fsync
 * policy) and indexed in memory; a lookup first reads what other processes appended since.
 * So a call costs a stat and an append, not a rewrite of every entry ever stored: the JSON
 * document this replaces made 10,000 keyed calls quadratic and timed out under 100 concurrent
 * callers. Expired entries are dropped when the file is compacted.
 */
export class IdempotencyStore {
  private readonly file: string
  private readonly legacy: string
  private readonly entries = new Map<string, IdempotentEntry>()
  private readonly commits: GroupCommit<string>
  private readonly fsync: FsyncPolicy
  private offset = 0
  private loaded = false
  // Reading back and appending both move `offset`: one at a time within this process.
  private turn: Promise<unknown> = Promise.resolve()

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
      sizeOf: (line) => line.length,
    })
  }

  async lookup<R>(key: string, tool: string, inputHash: string): Promise<IdempotentEntry<R> | undefined> {
    await this.refresh()
    const entry = this.entries.get(key)
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
    this.entries.set(key, entry)
    await this.commits.add(JSON.stringify({ key, ...entry }) + '\n')
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

  private write(lines: string[]): Promise<void> {
    return this.exclusive(() => this.append(lines))
  }

  private async append(lines: string[]): Promise<void> {
    await withFileLock(this.file, async () => {
      const handle = await open(this.file, 'a', 0o600)
      try {
        const text = lines.join('')
        const { size } = await handle.stat()
        await appendAll(handle, text, this.file, size)
        try {
          if (this.fsync !== 'off') await handle.sync()
        } catch (error) {
          await handle.truncate(size).catch(() => undefined)
          throw await writeFailed(this.file, error)
        }
        // Nobody wrote since we last read: our own lines need not be read back. (A read-back
        // that ran during this write may already have passed some of them: offset > size.)
        if (size <= this.offset) this.offset = Math.max(this.offset, size + Buffer.byteLength(text))
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

  private async readNew(): Promise<void> {
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
      for (const line of buffer.toString('utf8', 0, end).split('\n')) this.remember(line)
    } finally {
      await handle.close()
    }
  }

  private remember(line: string): void {
    if (line === '') return
    try {
      const { key, ...entry } = JSON.parse(line) as Line
      this.entries.set(key, entry)
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
      for (const [key, entry] of Object.entries(doc.entries ?? {})) this.entries.set(key, entry)
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
