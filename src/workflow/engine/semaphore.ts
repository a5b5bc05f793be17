/** Counts slots; waiters are served first come, first served. */
export class Semaphore {
  private readonly waiting: (() => void)[] = []
  private used = 0

  constructor(private readonly size: number) {}

  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.used < this.size) {
      this.used += 1
      return this.releaser()
    }
    await new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      const onAbort = () => {
        const i = this.waiting.indexOf(grant)
        if (i >= 0) this.waiting.splice(i, 1)
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiting.push(grant)
    })
    return this.releaser()
  }

  private releaser(): () => void {
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.waiting.shift()
      if (next) next()
      else this.used -= 1
    }
  }
}

/** Holds a slot of every semaphore for the duration of `work`. */
export async function withSlots<T>(
  semaphores: readonly Semaphore[],
  signal: AbortSignal,
  work: () => Promise<T>,
): Promise<T> {
  const releases: (() => void)[] = []
  try {
    for (const s of semaphores) releases.push(await s.acquire(signal))
    return await work()
  } finally {
    for (const release of releases.reverse()) release()
  }
}
