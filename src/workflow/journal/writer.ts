import { mkdir, open, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import type { Redactor } from '../../audit/redact.js'
import { appendAll, writeFailed } from '../../store/append.js'
import { GroupCommit, type FsyncPolicy } from '../../store/group-commit.js'
import type { JournalEntry, JournalEvent } from './events.js'
import { sealLine } from './line.js'
import { isoTime } from '../engine/clock.js'

export interface JournalWriterOptions {
  fsync: FsyncPolicy
  batchIntervalMs: number
  redactor: Redactor
  now: () => number
}

/**
 * Appends a run's transitions, one JSON line each, with the audit log's fsync policy: a burst
 * of transitions costs one write and one fsync. Everything is redacted before it is written;
 * the caller applies the returned (redacted) event to its state, so a live run and a replayed
 * one see exactly the same values.
 */
export class JournalWriter {
  private readonly commits: GroupCommit<string>
  private seq: number

  private constructor(
    private readonly handle: FileHandle,
    private readonly file: string,
    private size: number,
    lastSeq: number,
    private readonly options: JournalWriterOptions,
  ) {
    this.seq = lastSeq
    this.commits = new GroupCommit((lines) => this.write(lines), {
      policy: options.fsync,
      intervalMs: options.batchIntervalMs,
      maxBatch: 4096,
      maxBytes: 1024 * 1024,
      sizeOf: (line) => line.length,
    })
  }

  /** Opens for appending after `validBytes` (a torn last line is cut off first). */
  static async open(
    file: string,
    at: { validBytes: number; lastSeq: number },
    options: JournalWriterOptions,
  ): Promise<JournalWriter> {
    await mkdir(path.dirname(file), { recursive: true })
    const handle = await open(file, 'a+', 0o600)
    const { size } = await handle.stat()
    if (size > at.validBytes) {
      await handle.truncate(at.validBytes)
      await handle.sync()
    }
    return new JournalWriter(handle, file, at.validBytes, at.lastSeq, options)
  }

  /** Resolves at once with fsync batch/off; with always, once the line is on disk. */
  async append(entry: JournalEntry): Promise<JournalEvent> {
    const event = this.options.redactor.redact<JournalEvent>({
      seq: ++this.seq,
      at: isoTime(this.options.now()),
      ...entry,
    })
    await this.commits.add(sealLine(event))
    return event
  }

  flush(): Promise<void> {
    return this.commits.flush()
  }

  async close(): Promise<void> {
    try {
      await this.commits.flush()
    } finally {
      await this.handle.close()
    }
  }

  private async write(lines: string[]): Promise<void> {
    const before = this.size
    this.size += await appendAll(this.handle, lines.join(''), this.file, before)
    try {
      if (this.options.fsync !== 'off') await this.handle.sync()
    } catch (error) {
      this.size = before
      await this.handle.truncate(before).catch(() => undefined)
      throw await writeFailed(this.file, error)
    }
  }
}
