import type { Kernel } from 'driftcore/api'
import { catalogChanges, catalogOf } from './catalog.js'

export type CatalogListener = (changed: { tools: boolean; resources: boolean }) => void

/**
 * The kernel the server acts through, kept current while it runs. A config or plugin change
 * opens a fresh kernel (new registry, new effective config); calls already running finish on
 * the kernel they started with, which is closed (its audit flushed) once the last one ends.
 * If the new config does not load, the running kernel stays in force and the error is logged.
 */
export class LiveKernel {
  private kernel: Kernel
  private readonly running = new Map<Kernel, number>()
  private readonly retired = new Set<Kernel>()
  private readonly listeners = new Set<CatalogListener>()
  private queue: Promise<void> = Promise.resolve()
  private closed = false
  private idle: (() => void)[] = []

  constructor(
    first: Kernel,
    private readonly open: () => Promise<Kernel>,
    private readonly report: (message: string) => void,
  ) {
    this.kernel = first
  }

  current(): Kernel {
    return this.kernel
  }

  /** Runs `work` with the current kernel, which stays open until it ends even if replaced. */
  async use<T>(work: (kernel: Kernel) => Promise<T>): Promise<T> {
    const kernel = this.kernel
    this.running.set(kernel, (this.running.get(kernel) ?? 0) + 1)
    try {
      return await work(kernel)
    } finally {
      const left = (this.running.get(kernel) ?? 1) - 1
      if (left > 0) this.running.set(kernel, left)
      else {
        this.running.delete(kernel)
        if (this.retired.delete(kernel)) await kernel.close()
        if (this.running.size === 0) for (const resolve of this.idle.splice(0)) resolve()
      }
    }
  }

  /** Resolves when no call is running, or after `ms`, whichever comes first. */
  drain(ms: number): Promise<void> {
    if (this.running.size === 0) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms)
      this.idle.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  onCatalogChange(listener: CatalogListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Opens a fresh kernel and swaps it in; serialised, so bursts of file events apply in order. */
  reopen(reason: string): Promise<void> {
    this.queue = this.queue.then(async () => {
      if (this.closed) return
      let next: Kernel
      try {
        next = await this.open()
      } catch (error) {
        this.report(
          `${reason}: kept the running configuration, the new one does not load: ${(error as Error).message}`,
        )
        return
      }
      const before = this.kernel
      this.kernel = next
      await this.retire(before)
      // Listeners hear of every reopen: even with the same catalog, a resource's content may
      // depend on the config that just changed.
      const changed = catalogChanges(catalogOf(before), catalogOf(next))
      for (const listener of this.listeners) listener(changed)
    })
    return this.queue
  }

  /** Re-reads the policy bundles (publishing them when they changed) into the current kernel. */
  reloadPolicy(): Promise<void> {
    this.queue = this.queue.then(async () => {
      if (this.closed) return
      try {
        await this.kernel.reloadPolicy()
      } catch (error) {
        this.report(`policy reload failed, the previous snapshot stays in force: ${(error as Error).message}`)
      }
    })
    return this.queue
  }

  async close(): Promise<void> {
    this.closed = true
    await this.queue
    this.listeners.clear()
    await this.kernel.close()
    for (const kernel of this.retired) await kernel.close()
    this.retired.clear()
  }

  private async retire(kernel: Kernel): Promise<void> {
    if (this.running.has(kernel)) this.retired.add(kernel)
    else await kernel.close()
  }
}
