import { randomBytes } from 'node:crypto'
import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'

interface Stored {
  id: string
  stream: string
  message: JSONRPCMessage
  bytes: number
}

/**
 * The events one HTTP session sent, kept so a client that lost its stream (a laptop that slept
 * through a 10-minute approval question, a proxy that cut an idle connection) reconnects with
 * Last-Event-ID and gets what it missed, the call's result included.
 *
 * One store per session, so an event id opens nothing of another session's. Bounded: the
 * newest `maxEvents` events and `maxBytes` of their JSON, oldest dropped first; an id that was
 * dropped (or never existed) is refused, and the client starts over. The SDK ships only an
 * unbounded example store, which a long-lived server cannot use.
 */
export class SessionEventStore implements EventStore {
  private readonly events: Stored[] = []
  private readonly index = new Map<string, Stored>()
  private bytes = 0
  private seq = 0
  // Random per session: ids from an earlier server or session never match by accident.
  private readonly prefix = randomBytes(6).toString('base64url')

  constructor(
    private readonly maxEvents = 1_000,
    private readonly maxBytes = 8 * 1024 * 1024,
  ) {}

  async storeEvent(stream: string, message: JSONRPCMessage): Promise<string> {
    const id = `${this.prefix}.${++this.seq}`
    const stored = { id, stream, message, bytes: JSON.stringify(message).length }
    this.events.push(stored)
    this.index.set(id, stored)
    this.bytes += stored.bytes
    while (this.events.length > this.maxEvents || (this.bytes > this.maxBytes && this.events.length > 1)) {
      const dropped = this.events.shift()!
      this.index.delete(dropped.id)
      this.bytes -= dropped.bytes
    }
    return id
  }

  async getStreamIdForEventId(id: string): Promise<string | undefined> {
    return this.index.get(id)?.stream
  }

  async replayEventsAfter(
    lastEventId: string,
    { send }: { send: (id: string, message: JSONRPCMessage) => Promise<void> },
  ): Promise<string> {
    const last = this.index.get(lastEventId)
    if (!last) throw new Error(`unknown event id ${lastEventId}`)
    const start = this.events.indexOf(last) + 1
    for (const event of this.events.slice(start)) {
      // Priming events carry no message: nothing to replay.
      if (event.stream === last.stream && Object.keys(event.message).length > 0)
        await send(event.id, event.message)
    }
    return last.stream
  }
}
