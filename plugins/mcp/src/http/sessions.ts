import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import type { McpSession } from '../server/session.js'

interface Entry {
  transport: StreamableHTTPServerTransport
  session: McpSession
  lastSeen: number
}

/**
 * Open HTTP sessions, bounded in number and idle time: each holds a server and its streams in
 * memory, and a client that vanishes never sends DELETE.
 */
export class HttpSessions {
  private readonly entries = new Map<string, Entry>()
  private readonly sweeper: NodeJS.Timeout

  constructor(
    private readonly max: number,
    private readonly idleMs: number,
  ) {
    this.sweeper = setInterval(() => void this.sweep(), Math.min(idleMs, 60_000))
    this.sweeper.unref()
  }

  get size(): number {
    return this.entries.size
  }

  touch(id: string): Entry | undefined {
    const entry = this.entries.get(id)
    if (entry) entry.lastSeen = Date.now()
    return entry
  }

  has(id: string): boolean {
    return this.entries.has(id)
  }

  /** Room for one more, after closing sessions idle too long. */
  async hasRoom(): Promise<boolean> {
    await this.sweep()
    return this.entries.size < this.max
  }

  add(id: string, transport: StreamableHTTPServerTransport, session: McpSession): void {
    this.entries.set(id, { transport, session, lastSeen: Date.now() })
  }

  delete(id: string): void {
    this.entries.delete(id)
  }

  /** Stops the idle sweep (closeAll does it too). */
  stop(): void {
    clearInterval(this.sweeper)
  }

  async closeAll(): Promise<void> {
    this.stop()
    const all = [...this.entries.values()]
    this.entries.clear()
    await Promise.all(all.map((e) => e.session.server.close()))
  }

  private async sweep(): Promise<void> {
    const cutoff = Date.now() - this.idleMs
    for (const [id, entry] of this.entries) {
      if (entry.lastSeen >= cutoff) continue
      this.entries.delete(id)
      await entry.session.server.close()
    }
  }
}
