import { randomBytes } from 'node:crypto'
import type { Writable } from 'node:stream'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import type { McpHost } from './host.js'

/**
 * Serves one client over stdin/stdout until the client closes stdin or `stop` is aborted.
 * Stdout is claimed for the protocol first, so no stray write can corrupt it.
 */
export async function serveStdio(host: McpHost, stop: AbortSignal): Promise<void> {
  const transport = new StdioServerTransport(process.stdin, claimStdout())
  const session = host.open(randomBytes(4).toString('hex'))
  const ended = new Promise<void>((resolve) => {
    process.stdin.once('end', resolve)
    process.stdin.once('close', resolve)
    stop.addEventListener('abort', () => resolve(), { once: true })
    session.server.onclose = () => resolve()
  })
  await session.server.connect(transport)
  await ended
  // Closing aborts calls still running; their handlers' children are killed by the gate.
  await session.server.close()
  host.sessions.delete(session)
}

/**
 * Stdout belongs to the protocol. The transport writes through the returned handle; anything
 * else that writes to process.stdout afterwards (a plugin's console.log, a library's notice)
 * is sent to stderr instead. The handle is not a second stream around stdout: the transport
 * only calls write() and once('drain'), and every protocol message passes here.
 */
export function claimStdout(): Writable {
  // bin/run.js claimed it before any plugin loaded; its handle holds the real writer.
  const early = (globalThis as Record<symbol, unknown>)[Symbol.for('driftcore.stdio.protocol')]
  if (early) return early as Writable
  const stdout = process.stdout
  const write = stdout.write.bind(stdout)
  stdout.write = process.stderr.write.bind(process.stderr)
  const protocol = {
    write: (chunk: string) => write(chunk),
    once: (event: 'drain', listener: () => void) => stdout.once(event, listener),
  }
  return protocol as unknown as Writable
}
