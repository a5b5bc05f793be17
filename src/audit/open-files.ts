import { closeSync, constants, mkdirSync, openSync, readSync, writeSync } from 'node:fs'
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
 * of opening, renaming and syncing folders every time. Used only under the audit lock, except
 * that the gate's readiness check reads HEAD without it.
 *
 * HEAD is read and written synchronously: 256 bytes at a fixed offset take microseconds, and
 * as promises they would wait in libuv's thread pool behind the fsync of another file.
 */
export class AuditFiles {
  private head: number | undefined
  private segment: { name: string; handle: FileHandle } | undefined
  private dirReady = false
  private readonly headBuffer = Buffer.alloc(4096)
  // The last HEAD text read and what it parsed to: the readiness check reads HEAD before every
  // handler, and while its bytes are the same it is not decoded and parsed again.
  private readonly lastHead = Buffer.alloc(4096)
  private lastHeadBytes = -1
  private lastHeadValue: AuditHead | undefined

  constructor(private readonly dir: string) {}

  readHead(): AuditHead | undefined {
    const fd = this.headFd()
    const buffer = this.headBuffer
    const bytesRead = readSync(fd, buffer, 0, buffer.length, 0)
    if (
      bytesRead === this.lastHeadBytes &&
      buffer.compare(this.lastHead, 0, bytesRead, 0, bytesRead) === 0 &&
      this.lastHeadValue
    ) {
      return { ...this.lastHeadValue }
    }
    const text = buffer.toString('utf8', 0, bytesRead).trim()
    if (text === '') return undefined
    try {
      const head = JSON.parse(text) as AuditHead
      buffer.copy(this.lastHead, 0, 0, bytesRead)
      this.lastHeadBytes = bytesRead
      this.lastHeadValue = { ...head }
      return head
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

  writeHead(head: AuditHead): void {
    const text = JSON.stringify(head)
    writeSync(this.headFd(), text.padEnd(Math.max(HEAD_WIDTH, text.length + 1) - 1) + '\n', 0, 'utf8')
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
    if (this.head !== undefined) closeSync(this.head)
    this.head = undefined
    const segment = this.segment?.handle
    this.segment = undefined
    await segment?.close()
  }

  async ensureDir(): Promise<void> {
    if (this.dirReady) return
    await mkdir(this.dir, { recursive: true })
    this.dirReady = true
  }

  private headFd(): number {
    if (this.head === undefined) {
      if (!this.dirReady) mkdirSync(this.dir, { recursive: true })
      this.dirReady = true
      this.head = openSync(path.join(this.dir, HEAD_FILE), constants.O_RDWR | constants.O_CREAT, 0o600)
    }
    return this.head
  }
}
