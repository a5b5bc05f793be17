import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
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
 * Stdout belongs to the protocol. The transport writes through the returned stream; anything
 * else that writes to process.stdout afterwards (a plugin's console.log, a library's notice)
 * is sent to stderr instead.
 */
export function claimStdout(): Writable {
  const write = process.stdout.write.bind(process.stdout)
  const protocol = new Writable({
    write(chunk: Buffer, _encoding, done) {
      write(chunk, (error) => done(error ?? null))
    },
  })
  const toStderr = process.stderr.write.bind(process.stderr)
  process.stdout.write = toStderr
  return protocol
}
