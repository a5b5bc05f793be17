export type FsyncPolicy = 'always' | 'batch' | 'off'

export interface GroupCommitOptions<T> {
  policy: FsyncPolicy
  /** With batch/off: how long appends may wait to be written together. */
  intervalMs: number
  /** Write at once when this many are waiting; no write takes more. */
  maxBatch: number
  /** Write at once when the waiting items add up to this many bytes (measured by `sizeOf`). */
  maxBytes?: number
  sizeOf?: (item: T) => number
}

interface Pending<T> {
  item: T
  resolve: () => void
  reject: (error: unknown) => void
}

/**
 * Group commit: appends made close together are written by one `write(items)` call, so N
 * records cost one lock, one write and one fsync instead of N of each.
 *
 * `always`: `add()` resolves once its batch is written and fsynced (callers wait for disk).
 * `batch` / `off`: `add()` resolves at once and the batch is written within `intervalMs`;
 * a failed write is kept and thrown by the next `add()` or `flush()`, never swallowed.
 *
 * The buffer is bounded, by count and by bytes. A full buffer is written at once, without
 * waiting for a timer (a busy event loop never runs one: a loop awaiting only resolved
 * promises would otherwise buffer everything until it ends), and while it stays full, because
 * a write is already in flight, `add()` resolves only when that write is done and has made
 * room: writers that await their appends are held to the speed of the disk, and what is
 * waiting in memory stays within two batches.
 *
 * `write` is told whether anyone waits for this batch (fsync=always, a flush, a writer waiting
 * for room): a batch nobody waits for may take slower paths that keep the event loop free.
 */
export class GroupCommit<T> {
  private pending: Pending<T>[] = []
  private pendingBytes = 0
  private timer: NodeJS.Timeout | undefined
  private writing: Promise<void> | undefined
  private flushing = 0
  private roomWaiters: (() => void)[] = []
  private failure: unknown
  private readonly maxBytes: number

  constructor(
    private readonly write: (items: T[], waited: boolean) => Promise<void>,
    private readonly options: GroupCommitOptions<T>,
  ) {
    this.maxBytes = options.sizeOf ? (options.maxBytes ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY
  }

  add(item: T): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(asError(this.takeFailure()))
    if (this.options.policy === 'always') {
      const done = new Promise<void>((resolve, reject) => this.pending.push({ item, resolve, reject }))
      if (this.options.sizeOf) this.pendingBytes += this.options.sizeOf(item)
      this.kick()
      return done
    }
    // Nobody waits for this item: no promise of its own, only the batch's failure, kept for the
    // next add() or flush() (an audit record per tool call made three promises here).
    this.pending.push({ item, resolve: NOTHING, reject: this.keepFailure })
    if (this.options.sizeOf) this.pendingBytes += this.options.sizeOf(item)
    if (this.full()) {
      this.kick()
      // Still full: a write is in flight and this batch waits behind it. Wait for room.
      if (this.full()) return new Promise<void>((resolve) => this.roomWaiters.push(resolve))
    } else if (!this.writing) this.timer ??= setTimeout(() => this.kick(), this.options.intervalMs)
    return RESOLVED
  }

  private readonly keepFailure = (error: unknown): void => {
    this.failure ??= error
  }

  /** The write failure the next add() or flush() will throw, if there is one (not cleared). */
  pendingFailure(): unknown {
    return this.failure
  }

  /** Resolves when everything added so far is written (and fsynced unless the policy is off). */
  async flush(): Promise<void> {
    const last = this.pending.at(-1)
    if (last) {
      const settled = new Promise<void>((resolve) => {
        const { resolve: ok, reject: ko } = last
        last.resolve = () => (ok(), resolve())
        last.reject = (error) => (ko(error), resolve())
      })
      this.flushing += 1
      try {
        this.kick()
        await settled
      } finally {
        this.flushing -= 1
      }
    } else if (this.writing) await this.writing
    if (this.failure !== undefined) throw this.takeFailure()
  }

  private full(): boolean {
    return this.pending.length >= this.options.maxBatch || this.pendingBytes >= this.maxBytes
  }

  // Starts writing now, unless a write is in flight: that one goes on with what is waiting.
  private kick(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    if (!this.writing && this.pending.length > 0) this.writing = this.drain()
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        const batch = this.pending.splice(0, this.options.maxBatch)
        if (batch.length === 0) break
        if (this.options.sizeOf) for (const p of batch) this.pendingBytes -= this.options.sizeOf(p.item)
        this.makeRoom()
        try {
          await this.write(
            batch.map((p) => p.item),
            this.options.policy === 'always' || this.flushing > 0 || this.roomWaiters.length > 0,
          )
          for (const p of batch) p.resolve()
        } catch (error) {
          for (const p of batch) p.reject(error)
        }
        // What came in meanwhile goes on at once when someone waits for it; otherwise it gets
        // its interval, so a trickle is still written in batches.
        if (this.pending.length === 0) break
        if (!this.full() && this.flushing === 0 && this.options.policy !== 'always') {
          this.timer ??= setTimeout(() => this.kick(), this.options.intervalMs)
          break
        }
      }
    } finally {
      this.writing = undefined
    }
    if (this.timer === undefined && this.pending.length > 0) this.kick()
  }

  private makeRoom(): void {
    if (this.full() || this.roomWaiters.length === 0) return
    const waiters = this.roomWaiters
    this.roomWaiters = []
    for (const resolve of waiters) resolve()
  }

  private takeFailure(): unknown {
    const failure = this.failure
    this.failure = undefined
    return failure
  }
}

const NOTHING = (): void => undefined
const RESOLVED = Promise.resolve()

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value))
}
