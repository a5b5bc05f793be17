import { randomUUID } from 'node:crypto'
import { fstatSync, statSync, statfsSync } from 'node:fs'
import { readFile, truncate } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { appendAll, writeFailed } from '../store/append.js'
import { withFileLock } from '../store/file-lock.js'
import { GroupCommit, type FsyncPolicy } from '../store/group-commit.js'
import { CheckpointSigner, readCheckpoints, type Checkpoint, type CheckpointSettings } from './checkpoints.js'
import { callerIdentity, mergeIdentity, processIdentity } from './identity.js'
import { checkLine, GENESIS, recordText, sealText, type AuditEntry, type Identity } from './record.js'
import { AuditFiles } from './open-files.js'
import type { Redactor } from './redact.js'
import {
  HEAD_FILE,
  listSegments,
  segmentName,
  segmentNumber,
  segmentPath,
  type AuditHead,
} from './segments.js'

// The room a call's records need (tool.call, process.run, a checkpoint), with a margin: below
// it, the gate refuses to run handlers rather than run one whose record cannot be written.
const RESERVE_BYTES = 64 * 1024
// Above this much free space, a second-old reading of it is good enough.
const PLENTY_BYTES = 1024 * 1024 * 1024

/** A record ready to seal: its text but for `seq` and `prev` (see `recordText`). */
interface Prepared {
  text: string
}

export interface AuditLogOptions {
  fsync: FsyncPolicy
  batchIntervalMs: number
  segmentMaxBytes: number
  redactor: Redactor
  /** Signed checkpoints of the chain's head (automatic every N records, and on request). */
  checkpoints?: CheckpointSettings
  /** Told what went wrong with something that must not fail an append (an automatic checkpoint). */
  warn?: (message: string) => void
  /** The identity every record starts from; the process's own (os user, uid, tty) by default. */
  identity?: Identity
}

/**
 * The append-only, hash-chained audit log. Appends from any number of processes are serialised
 * by a lock on HEAD.json; within a process they are group-committed, so a burst of records costs
 * one lock, one write and one fsync. HEAD.json records where the chain ends, which is how a
 * truncated tail is detected.
 */
export class AuditLog {
  private readonly commits: GroupCommit<() => Prepared>
  private readonly files: AuditFiles
  private readonly signer: CheckpointSigner | undefined

  constructor(
    readonly dir: string,
    private readonly options: AuditLogOptions,
  ) {
    this.files = new AuditFiles(dir)
    this.signer = options.checkpoints ? new CheckpointSigner(options.checkpoints) : undefined
    this.commits = new GroupCommit((entries, waited) => this.write(entries, waited), {
      policy: options.fsync,
      intervalMs: options.batchIntervalMs,
      maxBatch: 1024,
    })
  }

  /**
   * Appends one record, redacted. With fsync=always it resolves once the record is on disk;
   * with batch/off it resolves at once and the record is written within the batch interval.
   * A record whose data is a function is redacted and built when its batch is written, so the
   * caller does not wait for it; any other is redacted now, so the caller may reuse its objects.
   */
  record(entry: AuditEntry): Promise<void> {
    const at = Date.now()
    // Taken now: a record built later must still say who was calling when it was made.
    const caller = callerIdentity(entry.identity)
    if (caller !== entry.identity) entry = { ...entry, identity: caller }
    if (typeof entry.data === 'function') {
      // Built once the caller has moved on (after the answer a server is writing now), while
      // what it reads is still in the CPU's caches, rather than in the batch 10 ms later; the
      // batch builds whatever is not built by then.
      let prepared: Prepared | undefined
      const build = () => (prepared ??= this.prepare(entry, at))
      this.buildSoon(build)
      return this.commits.add(build)
    }
    const prepared = this.prepare(entry, at)
    return this.commits.add(() => prepared)
  }

  // Records to build once the code that made them has finished its turn. One process.nextTick
  // per burst, not a setImmediate per record: called from a promise continuation (the gate
  // after its handler), a tick runs once every continuation queued meanwhile has run, which
  // includes the caller's answer (an MCP server's write to stdout), and it costs neither an
  // Immediate nor the libuv handle each one refs.
  private unbuilt: (() => unknown)[] = []
  private buildSoon(build: () => unknown): void {
    if (this.unbuilt.push(build) === 1) process.nextTick(() => this.buildNow())
  }
  private buildNow(): void {
    for (const build of this.unbuilt.splice(0)) {
      try {
        build()
      } catch {
        // Left for the batch, which builds it again and fails as it always did.
      }
    }
  }

  flush(): Promise<void> {
    return this.commits.flush()
  }

  /**
   * Whether the log can take a record now, checked before the gate runs a handler so that a
   * call whose record cannot be written never runs: a failed earlier write, a segment shorter
   * than HEAD records (records removed), or a filesystem with less than RESERVE_BYTES free.
   * Read without the lock: a segment only grows, so another writer can only make it pass.
   * Synchronous (three calls of microseconds): the gate asks before every handler, and as
   * promises they queued behind fsyncs in the thread pool.
   */
  async ready(): Promise<void> {
    this.readyNow()
  }

  private readyNow(): void {
    const failure = this.commits.pendingFailure()
    if (failure !== undefined)
      throw failure instanceof Error ? failure : new Error('an earlier audit write failed')
    const head = this.files.readHead()
    if (head) {
      const file = this.segmentFile(head.segment)
      const size = statSync(file, { throwIfNoEntry: false })?.size ?? 0
      if (size < head.size) throw removedRecords(file, size, head.size)
    }
    const free = this.freeSpace()
    if (free !== undefined && free < RESERVE_BYTES) {
      throw new DriftcoreError(
        'io',
        `the audit log ${this.dir} cannot take a record: ${free} bytes free on its filesystem (it needs ${RESERVE_BYTES})`,
        {
          hint: 'free some space, then retry; the call did not run',
          details: { file: this.dir, free_bytes: free },
        },
      )
    }
  }

  private segmentPathMemo: { name: string; file: string } | undefined
  private segmentFile(name: string): string {
    if (this.segmentPathMemo?.name !== name)
      this.segmentPathMemo = { name, file: segmentPath(this.dir, name) }
    return this.segmentPathMemo.file
  }

  // statfs costs as much as the rest of the check: while the filesystem has plenty of room it
  // is asked once a second; near the reserve, every time.
  private freeSeen: { at: number; bytes: number | undefined } | undefined
  private freeSpace(): number | undefined {
    const now = Date.now()
    const seen = this.freeSeen
    if (seen?.bytes !== undefined && seen.bytes > PLENTY_BYTES && now - seen.at < 1000) return seen.bytes
    this.freeSeen = { at: now, bytes: freeBytesNow(this.dir) }
    return this.freeSeen.bytes
  }

  /**
   * Signs the head of the chain as it is now (after flushing) and appends the checkpoint. Kept
   * somewhere the agent cannot reach, it is what `audit verify --anchor` checks the log against.
   */
  async checkpoint(
    sign?: (seq: number, hash: string, at: string) => Promise<Checkpoint>,
  ): Promise<Checkpoint> {
    const signer = this.signer
    if (!signer) throw new DriftcoreError('unavailable', 'this audit log has no checkpoint settings')
    await this.commits.flush()
    await this.files.ensureDir()
    const head = await withFileLock(path.join(this.dir, HEAD_FILE), () => this.reconcileHead())
    if (head.seq === 0) {
      throw new DriftcoreError('conflict', 'the audit log has no records yet: there is nothing to checkpoint')
    }
    // Signed outside the lock: a person's key may wait for a touch or a passphrase.
    const at = new Date().toISOString()
    const checkpoint = sign ? await sign(head.seq, head.hash, at) : await signer.sign(head.seq, head.hash, at)
    await signer.append(checkpoint)
    return checkpoint
  }

  /** Flushes, then closes the files kept open between flushes (a later record reopens them). */
  async close(): Promise<void> {
    try {
      await this.commits.flush()
    } finally {
      await this.files.release()
    }
  }

  // Redacted actors and merged identities of frozen objects (an MCP session's, the same for all
  // its calls), kept while the redactor has learnt no new secret; other objects are redacted
  // for each record, since their owner may change them.
  private readonly seen = new WeakMap<object, { generation: number; value: unknown }>()
  private noIdentity: { generation: number; value: Identity } | undefined

  private once<T>(key: object | undefined, make: () => T): T {
    const generation = this.options.redactor.generation
    if (key === undefined) {
      if (this.noIdentity?.generation !== generation)
        this.noIdentity = { generation, value: make() as Identity }
      return this.noIdentity.value as T
    }
    if (!Object.isFrozen(key)) return make()
    const hit = this.seen.get(key)
    if (hit?.generation === generation) return hit.value as T
    const value = make()
    this.seen.set(key, { generation, value })
    return value
  }

  private prepare(entry: AuditEntry, at: number): Prepared {
    const redact = this.options.redactor
    let data: Record<string, unknown>
    try {
      data = typeof entry.data === 'function' ? entry.data() : (entry.data ?? {})
    } catch (error) {
      // The record is kept, saying what went wrong, rather than failing the batch it is in.
      data = { audit_error: `building this record's data failed: ${(error as Error).message}` }
    }
    const record = {
      type: entry.type,
      actor: this.once(entry.actor, () => redact.redact(entry.actor)),
      identity: this.once(entry.identity, () =>
        mapText(mergeIdentity(this.options.identity ?? processIdentity(), entry.identity), (text) =>
          redact.redactText(text),
        ),
      ),
      subject: redact.redactText(entry.subject),
      data: entry.redacted ? data : redact.redact(data),
    }
    const when = new Date(at).toISOString()
    const trace = entry.trace_id ?? randomUUID()
    try {
      return { text: recordText(record, when, trace) }
    } catch (error) {
      // Data JSON cannot hold (a BigInt, a cycle): the record is kept, saying so.
      const audit_error = `serialising this record's data failed: ${(error as Error).message}`
      return { text: recordText({ ...record, data: { audit_error } }, when, trace) }
    }
  }

  /**
   * Writes a batch under the lock. A batch nobody waits for (`waited` false: with fsync=batch,
   * the calls already have their answers) takes and releases the lock and writes its text
   * through the thread pool: those are folder and file operations that wait on the filesystem's
   * journal when other processes sync, and on the event loop they would hold up the next call
   * a server answers. A batch someone waits for keeps the synchronous path (see file-lock.ts).
   */
  private async write(batch: (() => Prepared)[], waited = true): Promise<void> {
    const entries = batch.map((prepare) => prepare())
    await this.files.ensureDir()
    const lock = { background: !waited }
    await withFileLock(
      path.join(this.dir, HEAD_FILE),
      async () => {
        const start = await this.reconcileHead()
        let head = start
        let text = ''
        let bytes = 0
        let { seq, hash } = head
        for (const entry of entries) {
          const sealed = sealText(entry.text, seq + 1, hash)
          const size = Buffer.byteLength(sealed.line)
          // A segment never passes its cap, unless one record alone is bigger than it.
          if (head.size + bytes > 0 && head.size + bytes + size > this.options.segmentMaxBytes) {
            if (text !== '') head = await this.append(head, text, seq, hash, waited)
            head = { ...head, segment: segmentName(segmentNumber(head.segment) + 1), size: 0 }
            text = ''
            bytes = 0
          }
          text += sealed.line
          bytes += size
          seq += 1
          hash = sealed.hash
        }
        if (text !== '') await this.append(head, text, seq, hash, waited)
        await this.autoCheckpoint(start.seq, seq, hash)
      },
      lock,
    )
  }

  /**
   * Appends `text` (whole records ending at `seq`/`hash`) to the segment `head` names, syncs it
   * and moves HEAD past it. A batch that fills a segment is written in parts, one per segment,
   * each acknowledged by HEAD once on disk.
   */
  private async append(
    head: AuditHead,
    text: string,
    seq: number,
    hash: string,
    waited: boolean,
  ): Promise<AuditHead> {
    const { segment } = head
    const file = await this.files.segmentFile(segment)
    const where = segmentPath(this.dir, segment)
    const size = head.size + (await appendAll(file, text, where, head.size, { sync: waited }))
    try {
      if (this.options.fsync !== 'off') await file.datasync()
      // HEAD is not synced: after a crash it may lag the synced segment, and the next writer
      // adopts the records past it (reconcileHead); it can never run ahead of them.
      const next = { segment, seq, hash, size }
      this.files.writeHead(next)
      return next
    } catch (error) {
      // Not acknowledged, so not kept: HEAD still names the last record we reported written.
      await file.truncate(head.size).catch(() => undefined)
      throw await writeFailed(where, error)
    }
  }

  // The first record of a log is checkpointed too, so that a project that ever wrote one can
  // tell a deleted log from a new one. The records are on disk whatever happens here, so a
  // failure is reported, not thrown.
  private async autoCheckpoint(before: number, seq: number, hash: string): Promise<void> {
    const every = this.options.checkpoints?.every ?? 0
    if (!this.signer || every <= 0) return
    if (before > 0 && Math.floor(seq / every) === Math.floor(before / every)) return
    try {
      await this.signer.append(await this.signer.sign(seq, hash))
    } catch (error) {
      this.options.warn?.(`the automatic audit checkpoint at seq ${seq} failed: ${(error as Error).message}`)
    }
  }

  /**
   * Under the lock: where the chain ends now. Another process may have appended since we last
   * looked (its HEAD is newer), or crashed after appending and before moving HEAD (the segment is
   * longer than HEAD says: complete lines are adopted, a torn last line, never acknowledged, is
   * cut). A segment shorter than HEAD says means records were removed: refuse to write on top.
   */
  private async reconcileHead(): Promise<AuditHead> {
    const head = this.files.readHead() ?? (await recoverHead(this.dir, this.options.checkpoints?.file))
    const file = segmentPath(this.dir, head.segment)
    const size = fstatSync((await this.files.segmentFile(head.segment)).fd).size
    if (size === head.size) return head
    if (size < head.size) throw removedRecords(file, size, head.size)
    const tail = (await readFile(file)).subarray(head.size).toString('utf8')
    const lastNewline = tail.lastIndexOf('\n')
    let { seq, hash } = head
    for (const line of tail.slice(0, lastNewline + 1).split('\n')) {
      if (line === '') continue
      const check = checkLine(line)
      if (!check || !check.intact || check.prev !== hash || check.seq !== seq + 1) {
        throw new DriftcoreError(
          'integrity',
          `audit segment ${file} has a record that does not chain after seq ${seq}`,
          {
            hint: 'run `driftcore audit verify` to find it',
          },
        )
      }
      seq = check.seq
      hash = check.hash
    }
    const complete = head.size + Buffer.byteLength(tail.slice(0, lastNewline + 1))
    if (complete < size) await truncate(file, complete)
    return { segment: head.segment, seq, hash, size: complete }
  }
}

function freeBytesNow(dir: string): number | undefined {
  try {
    const s = statfsSync(dir)
    return s.bavail * s.bsize
  } catch {
    return undefined
  }
}

function removedRecords(file: string, size: number, recorded: number): DriftcoreError {
  return new DriftcoreError(
    'integrity',
    `audit segment ${file} is ${size} bytes but HEAD records ${recorded}: records were removed`,
    { hint: 'run `driftcore audit verify`; new records are refused until the log is restored' },
  )
}

/**
 * Secrets in identity values are masked by their shape only: the redactor's sensitive key names
 * would take `token`, which here is a token's *name*, never the token.
 */
function mapText<T>(value: T, fn: (text: string) => string): T {
  if (typeof value === 'string') return fn(value) as T
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapText(v, fn)])) as T
}

/**
 * No HEAD yet: a new log, or one whose HEAD was lost; start from the last segment's start. A
 * log that checkpoints say once had records is never started again from nothing.
 */
async function recoverHead(dir: string, checkpointFile: string | undefined): Promise<AuditHead> {
  const segments = await listSegments(dir)
  if (segments.length === 0) {
    const last = checkpointFile ? (await readCheckpoints(checkpointFile)).at(-1) : undefined
    if (last) {
      throw new DriftcoreError(
        'integrity',
        `the audit log in ${dir} is empty, but ${checkpointFile} says it reached seq ${last.seq}: it was deleted`,
        { hint: 'restore .driftcore/audit/ from a backup; new records are refused until then' },
      )
    }
    return { segment: segmentName(1), seq: 0, hash: GENESIS, size: 0 }
  }
  if (segments.length > 1) {
    throw new DriftcoreError(
      'integrity',
      `${path.join(dir, HEAD_FILE)} is missing while ${segments.length} segments exist`,
      {
        hint: 'run `driftcore audit verify`; restore HEAD.json from a backup',
      },
    )
  }
  return { segment: segments[0]!, seq: 0, hash: GENESIS, size: 0 }
}
