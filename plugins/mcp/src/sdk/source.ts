import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { connect, serverSpec } from './connect.js'

export interface SourceOptions {
  /** `--server`: a command line or a URL; without it, this project's own server is spawned. */
  server: string | undefined
  /** The CLI to spawn for this project's server, and its `--home`. */
  self: { cli: string; home: string }
  /** The bearer token for a URL, looked up only when one is needed. */
  token(): Promise<string | undefined>
}

/** A connected client to the server whose catalog the sdk commands read. */
export async function catalogSource(options: SourceOptions): Promise<Client> {
  const spec = serverSpec(options.server, {
    command: process.execPath,
    args: [options.self.cli, 'mcp', 'serve', '--home', options.self.home],
  })
  return connect(spec, spec.kind === 'url' ? await options.token() : undefined)
}
