interface Waiter {
  grant: () => void
  signal: AbortSignal | undefined
  reject: (reason: Error) => void
}

/**
 * Counts slots; waiters are served first come, first served. A wide fan-out parks tens of
 * thousands of steps here at once, so every operation is O(1): the queue is a Set (insertion
 * order, O(1) removal), and each abort signal gets one listener for all its waiters rather
 * than one each (an EventTarget removes a listener in time linear in how many it holds).
 */
export class Semaphore {
  private readonly waiting = new Set<Waiter>()
  private readonly watched = new WeakSet<AbortSignal>()
  private used = 0

  constructor(readonly size: number) {}

  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.used < this.size) {
      this.used += 1
      return this.releaser()
    }
    if (signal?.aborted) throw abortError(signal)
    if (signal && !this.watched.has(signal)) {
      this.watched.add(signal)
      signal.addEventListener('abort', () => this.abortWaiters(signal), { once: true })
    }
    await new Promise<void>((resolve, reject) => {
      this.waiting.add({ grant: resolve, signal, reject })
    })
    return this.releaser()
  }

  private abortWaiters(signal: AbortSignal): void {
    for (const waiter of this.waiting) {
      if (waiter.signal !== signal) continue
      this.waiting.delete(waiter)
      waiter.reject(abortError(signal))
    }
  }

  private releaser(): () => void {
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.waiting.values().next()
      if (next.done) {
        this.used -= 1
        return
      }
      this.waiting.delete(next.value)
      next.value.grant()
    }
  }
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted')
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
