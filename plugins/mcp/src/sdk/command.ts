import path from 'node:path'
import { Flags, type Command } from '@oclif/core'
import { DriftcoreCommand } from 'driftcore'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'

export const serverFlag = Flags.string({
  description:
    'the MCP server to read: a URL (Streamable HTTP, token from DRIFTCORE_MCP_TOKEN or the project) or a command line; default: this project’s own server',
})

/** The sdk commands: each reads a live catalog from `--server` (or this project's server). */
export abstract class SdkCommand<T extends typeof Command> extends DriftcoreCommand<T> {
  protected async catalogClient(): Promise<Client> {
    const { catalogSource } = await import('./source.js')
    return catalogSource({
      server: (this.flags as { server?: string }).server,
      self: { cli: path.join(this.config.root, 'bin', 'run.js'), home: this.paths().home },
      token: async () => {
        if (process.env.DRIFTCORE_MCP_TOKEN) return process.env.DRIFTCORE_MCP_TOKEN
        const { resolveToken } = await import('../http/token.js')
        return (await resolveToken(await this.kernel(), process.env, { create: false })).token
      },
    })
  }
}
