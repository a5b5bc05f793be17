export type FsyncPolicy = 'always' | 'batch' | 'off'

export interface GroupCommitOptions {
  policy: FsyncPolicy
  /** With batch/off: how long appends may wait to be written together. */
  intervalMs: number
  /** Write at once when this many are waiting. */
  maxBatch: number
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
 */
export class GroupCommit<T> {
  private pending: Pending<T>[] = []
  private timer: NodeJS.Timeout | undefined
  private chain: Promise<void> = Promise.resolve()
  private failure: unknown

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly options: GroupCommitOptions,
  ) {}

  add(item: T): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(asError(this.takeFailure()))
    const done = new Promise<void>((resolve, reject) => this.pending.push({ item, resolve, reject }))
    if (this.options.policy === 'always') {
      this.scheduleNow()
      return done
    }
    done.catch((error: unknown) => {
      this.failure ??= error
    })
    if (this.pending.length >= this.options.maxBatch) this.scheduleNow()
    else this.timer ??= setTimeout(() => void this.flushPending(), this.options.intervalMs)
    return Promise.resolve()
  }

  /** The write failure the next add() or flush() will throw, if there is one (not cleared). */
  pendingFailure(): unknown {
    return this.failure
  }

  /** Resolves when everything added so far is written (and fsynced unless the policy is off). */
  async flush(): Promise<void> {
    await this.flushPending()
    if (this.failure !== undefined) throw this.takeFailure()
  }

  private scheduleNow(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = setTimeout(() => void this.flushPending(), 0)
  }

  private flushPending(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.chain = this.chain.then(async () => {
      const batch = this.pending
      if (batch.length === 0) return
      this.pending = []
      try {
        await this.write(batch.map((p) => p.item))
        for (const p of batch) p.resolve()
      } catch (error) {
        for (const p of batch) p.reject(error)
      }
    })
    return this.chain
  }

  private takeFailure(): unknown {
    const failure = this.failure
    this.failure = undefined
    return failure
  }
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value))
}
