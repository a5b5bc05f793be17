import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js'
import type { McpSession } from '../server/session.js'

interface Entry {
  transport: StreamableHTTPServerTransport
  session: McpSession
  created: number
  lastSeen: number
  /** Requests from the client the server has not answered yet (a call running, an elicitation). */
  pending: Set<RequestId>
}

/** One row of the session table readiness reports (the id cut short: with the token it is a capability). */
export interface SessionRow {
  id: string
  client: string
  created: string
  last_seen: string
  idle_ms: number
  pending_requests: number
}

export type EvictReason = 'idle' | 'least recently used'

/**
 * Open HTTP sessions, bounded in number and idle time: each holds a server and its streams in
 * memory, and most clients (the Inspector, the conformance suite, a script that exits) never send
 * DELETE. A session idle longer than `idleMs` is closed; when the table is full, the least
 * recently used one is closed to make room. A session with a request still unanswered (a
 * long call, a question to the client) is never evicted: closing it would lose the answer, so
 * a table full of busy sessions still refuses a new one.
 */
export class HttpSessions {
  private readonly entries = new Map<string, Entry>()
  private readonly sweeper: NodeJS.Timeout

  constructor(
    private readonly max: number,
    private readonly idleMs: number,
    private readonly onEvict: (id: string, client: string, reason: EvictReason) => void = () => undefined,
  ) {
    this.sweeper = setInterval(() => void this.sweep(), Math.max(1_000, Math.min(idleMs / 4, 60_000)))
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

  /**
   * Room for one more: after closing sessions idle too long, and, when still full, the least
   * recently used session that has nothing pending.
   */
  async hasRoom(): Promise<boolean> {
    await this.sweep()
    if (this.entries.size < this.max) return true
    let oldest: [string, Entry] | undefined
    for (const pair of this.entries) {
      if (pair[1].pending.size > 0) continue
      if (!oldest || pair[1].lastSeen < oldest[1].lastSeen) oldest = pair
    }
    if (!oldest) return false
    await this.evict(oldest[0], oldest[1], 'least recently used')
    return this.entries.size < this.max
  }

  add(id: string, transport: StreamableHTTPServerTransport, session: McpSession): void {
    const now = Date.now()
    const entry: Entry = { transport, session, created: now, lastSeen: now, pending: new Set() }
    this.entries.set(id, entry)
    track(transport, entry)
  }

  delete(id: string): void {
    this.entries.delete(id)
  }

  /** The session table, most recently used first. */
  table(): SessionRow[] {
    const now = Date.now()
    return [...this.entries]
      .sort((a, b) => b[1].lastSeen - a[1].lastSeen)
      .map(([id, e]) => ({
        id: `${id.slice(0, 8)}…`,
        client: e.session.clientName(),
        created: new Date(e.created).toISOString(),
        last_seen: new Date(e.lastSeen).toISOString(),
        idle_ms: e.pending.size > 0 ? 0 : now - e.lastSeen,
        pending_requests: e.pending.size,
      }))
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
      if (entry.lastSeen >= cutoff || entry.pending.size > 0) continue
      await this.evict(id, entry, 'idle')
    }
  }

  private async evict(id: string, entry: Entry, reason: EvictReason): Promise<void> {
    this.entries.delete(id)
    this.onEvict(id, entry.session.clientName(), reason)
    await entry.session.server.close()
  }
}

/**
 * Counts the client's requests until the server answers them, by watching the messages through
 * the transport (the server's own handlers are installed on connect, before this wraps them).
 */
function track(transport: StreamableHTTPServerTransport, entry: Entry): void {
  const receive = transport.onmessage
  if (receive) {
    transport.onmessage = (message, extra) => {
      if (isRequest(message)) entry.pending.add(message.id)
      // A cancelled request gets no answer (the SDK drops it), so it stops counting here.
      else if (isCancellation(message)) entry.pending.delete(message.params.requestId)
      receive(message, extra)
    }
  }
  const send = transport.send.bind(transport)
  transport.send = async (message, options) => {
    try {
      return await send(message, options)
    } finally {
      if (isResponse(message)) {
        entry.pending.delete(message.id)
        entry.lastSeen = Date.now()
      }
    }
  }
}

function isRequest(message: JSONRPCMessage): message is JSONRPCMessage & { id: RequestId; method: string } {
  return 'method' in message && 'id' in message
}

function isCancellation(
  message: JSONRPCMessage,
): message is JSONRPCMessage & { params: { requestId: RequestId } } {
  if (!('method' in message) || message.method !== 'notifications/cancelled') return false
  const id = (message.params as { requestId?: unknown } | undefined)?.requestId
  return typeof id === 'string' || typeof id === 'number'
}

function isResponse(message: JSONRPCMessage): message is JSONRPCMessage & { id: RequestId } {
  return !('method' in message) && 'id' in message && message.id !== undefined
}
