import { mkdir, open, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { HEAD_FILE, segmentPath, type AuditHead } from './segments.js'

// HEAD.json is rewritten in place at a fixed width, so one positional write replaces it (no
// temp file, rename and folder sync per flush) and a reader never sees a shorter file.
const HEAD_WIDTH = 256

/**
 * The files a writing process keeps open between flushes: HEAD.json and the current segment.
 * A flush then costs a read of HEAD, a stat, an append, an fsync and a write of HEAD, instead
 * of opening, renaming and syncing folders every time. Used only under the audit lock.
 */
export class AuditFiles {
  private head: FileHandle | undefined
  private segment: { name: string; handle: FileHandle } | undefined
  private dirReady = false

  constructor(private readonly dir: string) {}

  async readHead(): Promise<AuditHead | undefined> {
    const handle = await this.headHandle()
    const buffer = Buffer.alloc(4096)
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0)
    const text = buffer.toString('utf8', 0, bytesRead).trim()
    if (text === '') return undefined
    try {
      return JSON.parse(text) as AuditHead
    } catch (error) {
      throw new DriftcoreError(
        'integrity',
        `${path.join(this.dir, HEAD_FILE)} is unreadable: ${(error as Error).message}`,
        {
          hint: 'run `driftcore audit verify`',
          cause: error,
        },
      )
    }
  }

  async writeHead(head: AuditHead): Promise<void> {
    const handle = await this.headHandle()
    const text = JSON.stringify(head)
    await handle.write(text.padEnd(Math.max(HEAD_WIDTH, text.length + 1) - 1) + '\n', 0, 'utf8')
  }

  /** The open segment `name` (opened for appending, created if missing). */
  async segmentFile(name: string): Promise<FileHandle> {
    if (this.segment?.name !== name) {
      await this.segment?.handle.close()
      this.segment = undefined
      await this.ensureDir()
      this.segment = { name, handle: await open(segmentPath(this.dir, name), 'a', 0o600) }
    }
    return this.segment.handle
  }

  /** Closes what is open; the next flush opens again. */
  async release(): Promise<void> {
    const handles = [this.head, this.segment?.handle].filter((h): h is FileHandle => h !== undefined)
    this.head = undefined
    this.segment = undefined
    await Promise.all(handles.map((h) => h.close()))
  }

  async ensureDir(): Promise<void> {
    if (this.dirReady) return
    await mkdir(this.dir, { recursive: true })
    this.dirReady = true
  }

  private async headHandle(): Promise<FileHandle> {
    if (!this.head) {
      await this.ensureDir()
      // a+ creates it; positional writes need r+, so reopen once it exists.
      await (await open(path.join(this.dir, HEAD_FILE), 'a+', 0o600)).close()
      this.head = await open(path.join(this.dir, HEAD_FILE), 'r+')
    }
    return this.head
  }
}
