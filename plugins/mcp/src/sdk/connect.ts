import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { DriftcoreError } from 'driftcore/api'
import { parse } from 'shell-quote'

/** Which server to read the catalog from: this project's own (spawned), a command, or a URL. */
export type ServerSpec =
  | { kind: 'self'; command: string; args: string[] }
  | { kind: 'command'; command: string; args: string[] }
  | { kind: 'url'; url: URL }

/**
 * `--server` as given: a URL, or a command line split into arguments like a shell would,
 * without running a shell (pipes, redirections, substitutions and globs are refused).
 */
export function serverSpec(value: string | undefined, self: { command: string; args: string[] }): ServerSpec {
  if (value === undefined) return { kind: 'self', ...self }
  if (/^https?:\/\//i.test(value)) return { kind: 'url', url: new URL(value) }
  const words = parse(value, (name) => `$${name}`)
  const args = words.filter((w): w is string => typeof w === 'string')
  if (args.length !== words.length || args.length === 0) {
    throw new DriftcoreError('invalid_input', `--server "${value}" is not a plain command line`, {
      hint: 'give a URL, or a command and its arguments; shell operators and globs are not run',
    })
  }
  return { kind: 'command', command: args[0]!, args: args.slice(1) }
}

/**
 * The SDK client, which over HTTP ends its session (DELETE) when closed: the SDK's own close
 * only drops the connection, and a shared server keeps the session until it idles out.
 */
class EndingClient extends Client {
  override async close(): Promise<void> {
    const transport = this.transport
    if (transport instanceof StreamableHTTPClientTransport && transport.sessionId !== undefined)
      await transport.terminateSession().catch(() => undefined)
    await super.close()
  }
}

/** Connects the official SDK client; a spawned server's stderr goes to ours. */
export async function connect(spec: ServerSpec, token?: string): Promise<Client> {
  const client = new EndingClient({ name: 'driftcore-sdk', version: '1.0.0' })
  const transport =
    spec.kind === 'url'
      ? // Origin: a server bound beyond loopback refuses requests without one; this is its own.
        new StreamableHTTPClientTransport(spec.url, {
          requestInit: {
            headers: { Origin: spec.url.origin, ...(token ? { Authorization: `Bearer ${token}` } : {}) },
          },
        })
      : // Our environment, not the SDK's minimal default: the server needs XDG_*, DRIFTCORE_* and the like.
        new StdioClientTransport({
          command: spec.command,
          args: spec.args,
          env: Object.fromEntries(
            Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
          ),
          stderr: 'inherit',
        })
  try {
    await client.connect(transport)
  } catch (error) {
    const where = spec.kind === 'url' ? spec.url.href : [spec.command, ...spec.args].join(' ')
    throw new DriftcoreError(
      'unavailable',
      `cannot reach the MCP server ${where}: ${(error as Error).message}`,
      {
        hint:
          spec.kind === 'url'
            ? 'is `driftcore mcp serve --transport http` running, and DRIFTCORE_MCP_TOKEN set to its token?'
            : 'check the command starts an MCP server on stdio',
        cause: error,
      },
    )
  }
  return client
}
