import { open, readFile, stat, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { appendAll } from '../store/append.js'
import { writeFileAtomic } from '../store/atomic-write.js'
import { withFileLock } from '../store/file-lock.js'
import type { ApprovalRequest } from './approvals.js'

/**
 * Where approval requests are kept: an append-only journal (`approvals.jsonl`, one line per
 * change, each the request's whole new version) and a compacted view (`approvals.json`, every
 * request as of the last compaction). Asking for, deciding or using an approval appends one line
 * and fsyncs it, so its cost does not grow with the history; the view is rebuilt from the
 * events when the journal has grown by `compactBytes`, by an atomic rename.
 *
 * Compaction writes the new view first (generation g+1), then a new journal that starts with a
 * copy of every request that can still change (pending or approved, not expired). So the journal
 * alone holds every open request, and the hot paths (a new request looks for a pending twin;
 * deciding and using one look it up) read only the journal. Events are whole versions, so
 * replaying a journal over a view that already includes it changes nothing: a crash between the
 * two renames leaves the old journal beside the new view, which reads the same, and the next
 * write compacts again.
 */

export const VIEW_FILE = 'approvals.json'
export const JOURNAL_FILE = 'approvals.jsonl'
const FORMAT = 'driftcore-approvals/v1'
/** The journal grows by this much (past its compacted copy of open requests) before compaction. */
export const COMPACT_BYTES = 1024 * 1024

/** A request and the file its version in force was read from (named in integrity errors). */
export interface Stored {
  request: ApprovalRequest
  file: string
}

interface Journal {
  generation: number
  /** Bytes of the header and the compacted copies: growth past it is what compaction looks at. */
  base: number
  size: number
  requests: Map<string, ApprovalRequest>
  /** The file ends in a line cut short (a writer killed mid-append): that line never counted. */
  tornAt?: number
}

/** What a change to approvals sees, under the lock. */
export interface ApprovalTransaction {
  /**
   * The requests that can still change: every pending or approved one (and some closed ones).
   * To read only: they are the versions the other changes of the batch see too.
   */
  open(): ReadonlyArray<Readonly<ApprovalRequest>>
  /** One request, open or not (a closed one is read from the view, once): a copy to change and put. */
  get(id: string): Promise<ApprovalRequest | undefined>
  /** Records the request's new version: appended when the change returns without throwing. */
  put(request: ApprovalRequest): void
  /** The file the request's version in force is in (named in integrity errors). */
  fileOf(id: string): string
}

/** A change waiting for the next group commit (see `ApprovalStore.update`). */
interface Change {
  fn: (tx: ApprovalTransaction) => unknown
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

export class ApprovalStore {
  readonly view: string
  readonly journal: string
  private readonly compactBytes: number
  // Changes waiting for the next group commit, and the loop committing them (see update).
  private queue: Change[] = []
  private committing: Promise<void> | undefined
  // The journal as last parsed by get, and the stat it was parsed at.
  private cached: { key: string; journal: Promise<Journal | undefined> } | undefined

  constructor(stateDir: string, options: { compactBytes?: number } = {}) {
    this.view = path.join(stateDir, VIEW_FILE)
    this.journal = path.join(stateDir, JOURNAL_FILE)
    this.compactBytes = options.compactBytes ?? COMPACT_BYTES
  }

  /** Every request: the view with the journal replayed over it. */
  async all(): Promise<Map<string, Stored>> {
    for (let attempt = 0; ; attempt++) {
      const journal = await this.readJournal()
      const view = await this.readView()
      // Two compactions between reading the journal and the view: the journal is older than
      // what the view includes, and replaying it could undo later changes. Read both again.
      if (journal && view.generation >= journal.generation + 2 && attempt < 3) continue
      return merge(view, journal, this.view, this.journal)
    }
  }

  /** The requests the journal holds: every one that is pending or approved (see the class). */
  async open(): Promise<Map<string, Stored>> {
    const journal = await this.readJournal()
    if (!journal) return this.all()
    return new Map([...journal.requests].map(([id, request]) => [id, { request, file: this.journal }]))
  }

  /**
   * One request: from the journal when it is there (every open one is), else from the view.
   * A run's waiting steps each ask for theirs every poll; the journal is parsed again only when
   * its file changed (another inode, size, mtime or ctime, as git's stat check), and each caller
   * gets its own copy, so nothing a caller changes reaches the next one.
   */
  async get(id: string): Promise<Stored | undefined> {
    const journal = await this.readJournalCached()
    const request = journal?.requests.get(id)
    if (request) return { request: structuredClone(request), file: this.journal }
    return (await this.all()).get(id)
  }

  private async readJournalCached(): Promise<Journal | undefined> {
    const key = await statKey(this.journal)
    if (key === undefined) return undefined
    // Every waiting step polls at once: one read serves all that ask while it is under way.
    if (this.cached?.key !== key) {
      const cached = { key, journal: this.readJournal() }
      this.cached = cached
      // Changed while it was read: good for this answer, not for the next.
      void cached.journal
        .then(async () => (await statKey(this.journal)) === key)
        .catch(() => false)
        .then((fresh) => {
          if (!fresh && this.cached === cached) this.cached = undefined
        })
    }
    return this.cached.journal
  }

  /**
   * Runs `fn` under the cross-process lock and appends the versions it `put`, in one write and
   * one fsync; compacts first when the journal is missing or older than the view, and after when
   * it has grown past the threshold.
   *
   * Changes asked for while one is running are committed together (group commit): they run one
   * after another under one hold of the lock, each seeing the versions the earlier ones put, and
   * their lines go out in one write and one fsync. A run's thousand approval steps otherwise
   * queue a thousand waiters on one lock folder, each polling it, and most time out. A change
   * that throws leaves nothing behind and fails alone; a write that fails fails them all, since
   * none of them is on disk. A change must not call `update` itself: it would wait for the
   * batch after its own, which waits for it.
   */
  update<R>(fn: (tx: ApprovalTransaction) => R | Promise<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject })
      this.committing ??= this.commitQueued()
    })
  }

  private async commitQueued(): Promise<void> {
    while (this.queue.length > 0) {
      const batch: Change[] = []
      try {
        await withFileLock(this.view, () => this.commit(batch))
      } catch (error) {
        // No lock, an unreadable journal, or a write that failed: none of them is on disk.
        if (batch.length === 0) batch.push(...this.queue.splice(0))
        for (const change of batch) change.reject(error)
      }
    }
    this.committing = undefined
  }

  // Under the lock: the changes queued by the time the journal is read (so the ones that came
  // in meanwhile join), each in turn, then their lines in one append.
  private async commit(batch: Change[]): Promise<void> {
    let journal = await this.readJournal()
    if (!journal || journal.generation !== (await this.viewGeneration())) {
      journal = await this.compact(journal)
    }
    const current = journal
    batch.push(...this.queue.splice(0))
    // What the earlier changes of the batch put, in the order they put it.
    const committed = new Map<string, ApprovalRequest>()
    let closed: Map<string, Stored> | undefined
    const outcomes: Array<() => void> = []
    for (const change of batch) {
      const puts = new Map<string, ApprovalRequest>()
      const latest = (id: string) => puts.get(id) ?? committed.get(id) ?? current.requests.get(id)
      const tx: ApprovalTransaction = {
        open: () => {
          const ids = new Set([...current.requests.keys(), ...committed.keys(), ...puts.keys()])
          return [...ids].map((id) => latest(id)!)
        },
        // A copy: a change that edits what it read and then throws must leave it as it was.
        get: async (id) => {
          const own = puts.get(id)
          if (own) return own
          const found = latest(id)
          if (found) return structuredClone(found)
          closed ??= merge(await this.readView(), current, this.view, this.journal)
          const request = closed.get(id)?.request
          return request && structuredClone(request)
        },
        put: (request) => {
          puts.set(request.id, request)
        },
        fileOf: (id) => (latest(id) ? this.journal : this.view),
      }
      try {
        const value = await change.fn(tx)
        for (const [id, request] of puts) {
          committed.delete(id)
          committed.set(id, request)
        }
        outcomes.push(() => change.resolve(value))
      } catch (error) {
        outcomes.push(() => change.reject(error))
      }
    }
    if (committed.size > 0) {
      const lines = [...committed.values()].map((r) => JSON.stringify({ put: r }) + '\n').join('')
      await this.append(current, lines)
      for (const r of committed.values()) current.requests.set(r.id, r)
      current.size += Buffer.byteLength(lines)
      if (current.size - current.base > this.compactBytes) await this.compact(current)
    }
    for (const settle of outcomes) settle()
  }

  // One write and one fsync; a line a killed writer left cut short is cut off first, so the new
  // line never joins it.
  private async append(journal: Journal, lines: string): Promise<void> {
    const handle: FileHandle = await open(this.journal, 'a')
    try {
      if (journal.tornAt !== undefined) {
        await handle.truncate(journal.tornAt)
        journal.size = journal.tornAt
        delete journal.tornAt
      }
      await appendAll(handle, lines, this.journal, journal.size)
      await handle.datasync()
    } finally {
      await handle.close()
    }
  }

  /**
   * Rebuilds the view from the events (generation + 1), then starts a new journal holding the
   * open requests: both by write-then-rename, in that order (see the class comment).
   */
  private async compact(journal: Journal | undefined): Promise<Journal> {
    const view = await this.readView()
    const all = merge(view, journal, this.view, this.journal)
    const generation = Math.max(view.generation, journal?.generation ?? 0) + 1
    const requests = Object.fromEntries([...all].map(([id, s]) => [id, s.request]))
    await writeFileAtomic(this.view, JSON.stringify({ generation, requests }, null, 2) + '\n')
    const now = Date.now()
    const open = new Map(
      [...all.values()]
        .map((s) => s.request)
        .filter((r) => isOpen(r, now))
        .map((r) => [r.id, r]),
    )
    const body = [...open.values()].map((r) => JSON.stringify({ put: r }) + '\n').join('')
    // The header says how long it is with the copies: a fixed-width number keeps that exact.
    const header = (base: number) =>
      JSON.stringify({ format: FORMAT, generation, base: String(base).padStart(12, '0') }) + '\n'
    const base = Buffer.byteLength(header(0)) + Buffer.byteLength(body)
    await writeFileAtomic(this.journal, header(base) + body)
    return { generation, base, size: base, requests: open }
  }

  private async readJournal(): Promise<Journal | undefined> {
    let bytes: Buffer
    try {
      bytes = await readFile(this.journal)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
    const end = bytes.lastIndexOf(0x0a) + 1
    const lines = bytes.toString('utf8', 0, end).split('\n')
    lines.pop()
    const bad = (line: number, why: string) =>
      new DriftcoreError('integrity', `${this.journal}:${line}: ${why}`, {
        hint: 'someone edited the approvals journal; run `driftcore audit verify`, then restore the file from a backup or delete it and approvals.json to start over',
        details: { file: this.journal, line },
      })
    const head = parse(lines[0]) as { format?: unknown; generation?: unknown; base?: unknown } | undefined
    if (head?.format !== FORMAT || typeof head.generation !== 'number' || typeof head.base !== 'string')
      throw bad(1, `not a driftcore approvals journal (its first line must be a ${FORMAT} header)`)
    const requests = new Map<string, ApprovalRequest>()
    for (let i = 1; i < lines.length; i++) {
      const event = parse(lines[i]) as { put?: ApprovalRequest } | undefined
      const r = event?.put
      if (!r || typeof r !== 'object' || typeof r.id !== 'string') throw bad(i + 1, 'not an approval event')
      requests.set(r.id, r)
    }
    return {
      generation: head.generation,
      base: Number(head.base),
      size: end,
      requests,
      ...(end < bytes.length ? { tornAt: end } : {}),
    }
  }

  private async readView(): Promise<{ generation: number; requests: Record<string, ApprovalRequest> }> {
    let text: string
    try {
      text = await readFile(this.view, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { generation: 0, requests: {} }
      throw error
    }
    let doc: { generation?: unknown; requests?: unknown }
    try {
      doc = JSON.parse(text) as typeof doc
    } catch (error) {
      throw new DriftcoreError('integrity', `${this.view} is not valid JSON: ${(error as Error).message}`, {
        hint: 'restore it from a backup or delete it to start over',
        cause: error,
      })
    }
    return {
      // A file from before the journal has no generation: it is the whole state, generation 0.
      generation: typeof doc.generation === 'number' ? doc.generation : 0,
      requests: (doc.requests ?? {}) as Record<string, ApprovalRequest>,
    }
  }

  // Only the view's first bytes: `{"generation": N, …` is how compaction writes it.
  private async viewGeneration(): Promise<number> {
    let handle: FileHandle
    try {
      handle = await open(this.view, 'r')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0
      throw error
    }
    try {
      const buffer = Buffer.alloc(64)
      const { bytesRead } = await handle.read(buffer, 0, 64, 0)
      const match = /^\{\s*"generation":\s*(\d+)/.exec(buffer.toString('utf8', 0, bytesRead))
      // Not ours (an old file, or an edited one): -1 differs from every journal, so it compacts.
      return match ? Number(match[1]) : -1
    } finally {
      await handle.close()
    }
  }
}

async function statKey(file: string): Promise<string | undefined> {
  try {
    const s = await stat(file, { bigint: true })
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

function merge(
  view: { requests: Record<string, ApprovalRequest> },
  journal: Journal | undefined,
  viewFile: string,
  journalFile: string,
): Map<string, Stored> {
  const out = new Map<string, Stored>()
  for (const [id, request] of Object.entries(view.requests)) out.set(id, { request, file: viewFile })
  for (const [id, request] of journal?.requests ?? []) out.set(id, { request, file: journalFile })
  return out
}

// What can still change: pending or approved and not expired. Used, denied, withdrawn and
// expired requests are final (a used one is only read again, by the retry of its own attempt).
function isOpen(r: ApprovalRequest, now: number): boolean {
  return (r.status === 'pending' || r.status === 'approved') && Date.parse(r.expires_at) > now
}

function parse(line: string | undefined): unknown {
  if (line === undefined) return undefined
  try {
    return JSON.parse(line) as unknown
  } catch {
    return undefined
  }
}
