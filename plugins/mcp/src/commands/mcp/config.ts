import path from 'node:path'
import { Flags } from '@oclif/core'
import { DriftcoreCommand } from 'driftcore'

export default class McpConfig extends DriftcoreCommand<typeof McpConfig> {
  static override summary = 'Print the configuration that connects Claude, VS Code or Cursor to this project'
  static override description =
    'stdio (the default): the client starts `driftcore mcp serve` itself, with absolute paths so it works from ' +
    'an app that does not share your shell PATH. http: the client connects to a running `mcp serve --transport ' +
    'http`; the token stays out of the snippet (an environment variable or a prompt) unless --show-token.'
  static override examples = [
    '<%= config.bin %> mcp config --client claude > .mcp.json',
    '<%= config.bin %> mcp config --client vscode --transport http',
    '<%= config.bin %> mcp config --client cursor --json',
  ]
  static override flags = {
    client: Flags.option({ options: ['claude', 'vscode', 'cursor'] as const, required: true })({
      description: 'the MCP client to configure',
    }),
    transport: Flags.option({ options: ['stdio', 'http'] as const, default: 'stdio' as const })({
      description: 'how the client reaches the server',
    }),
    url: Flags.string({
      description: 'http: the server URL (default: from mcp.http.host and mcp.http.port)',
    }),
    name: Flags.string({ description: 'the server name in the client', default: 'driftcore' }),
    'show-token': Flags.boolean({
      description: 'http: write the token itself into the snippet (it is a secret)',
    }),
  }

  async run() {
    const { clientSnippet, tokenReference } = await import('../../client-config/snippets.js')
    const { client, transport, name } = this.flags
    const home = this.paths().home
    let snippet
    if (transport === 'stdio') {
      const cli = path.join(this.config.root, 'bin', 'run.js')
      snippet = clientSnippet(client, name, {
        transport,
        command: process.execPath,
        args: [cli, 'mcp', 'serve', '--home', home],
      })
    } else {
      const kernel = await this.kernel()
      const { mcpConfig } = await import('../../config/section.js')
      const { TOKEN_ENV, resolveToken } = await import('../../http/token.js')
      const http = mcpConfig(kernel.config.values).http
      const host = http.host === '0.0.0.0' || http.host === '::' ? '127.0.0.1' : http.host
      const url = this.flags.url ?? `http://${host.includes(':') ? `[${host}]` : host}:${http.port}/mcp`
      const authorization = this.flags['show-token']
        ? `Bearer ${(await resolveToken(kernel, process.env, { create: false })).token}`
        : tokenReference(client, TOKEN_ENV)
      snippet = clientSnippet(client, name, { transport, url, authorization })
    }
    if (!this.jsonEnabled()) {
      this.log(JSON.stringify(snippet.config, null, 2))
      this.note(`Put this in ${snippet.files.join(', or ')} (merge it with servers already there).`)
      if (transport === 'http' && !this.flags['show-token'] && client !== 'vscode')
        this.note(`The client reads the token from the environment variable DRIFTCORE_MCP_TOKEN.`)
    }
    return snippet
  }
}
