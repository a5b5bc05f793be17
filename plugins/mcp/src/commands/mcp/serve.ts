import { Config, Flags } from '@oclif/core'
import { DriftcoreCommand, openKernel } from 'driftcore'

export default class McpServe extends DriftcoreCommand<typeof McpServe> {
  static override summary =
    'Serve every plugin’s tools, resources and prompts to MCP clients, through the gate'
  static override description =
    'stdio (the default) is for a client that starts the server itself: stdout carries only protocol messages, ' +
    'logs go to stderr. http serves Streamable HTTP at /mcp on 127.0.0.1, with a bearer token (DRIFTCORE_MCP_TOKEN, ' +
    'mcp.http.token, or .driftcore/state/mcp-token generated with mode 0600), Origin checks, /health/live, /health/ready ' +
    'and /metrics. Every call is decided by policy and audited as the agent <client>/<session>. Config, policy and ' +
    'plugin changes apply while it runs.'
  static override enableJsonFlag = false
  static override examples = [
    '<%= config.bin %> mcp serve',
    '<%= config.bin %> mcp serve --transport http',
    '<%= config.bin %> mcp serve --transport http --port 0 -c launcher.allowlist=[drush]',
    'DRIFTCORE_MCP_TOKEN=$(openssl rand -base64 32) <%= config.bin %> mcp serve --transport http --port 7800',
  ]
  static override flags = {
    transport: Flags.option({ options: ['stdio', 'http'] as const, default: 'stdio' as const })({
      description: 'stdio for a client that spawns the server; http for Streamable HTTP',
    }),
    host: Flags.string({
      description:
        'http: address to bind (default: mcp.http.host, 127.0.0.1); anything else warns and requires an Origin header',
    }),
    port: Flags.integer({
      min: 0,
      max: 65_535,
      description: 'http: port (default: mcp.http.port, 7800; 0 picks one)',
    }),
  }

  async run(): Promise<void> {
    const { serve } = await import('../../server/start.js')
    const stop = new AbortController()
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort())
    // Found (or refused) once, before serving: a mistyped --home is not created.
    const { home } = this.paths()
    let reload = false
    await serve({
      transport: this.flags.transport,
      // Later kernels load oclif's config afresh, so plugins linked or installed meanwhile appear.
      openKernel: async (logSink) => {
        const oclif = reload ? await Config.load(this.config.root) : this.config
        reload = true
        return openKernel({ home, configFlags: this.flags.config ?? [], oclif, logSink })
      },
      dirs: { configDir: this.config.configDir, dataDir: this.config.dataDir },
      version: this.config.version,
      http: { host: this.flags.host, port: this.flags.port },
      stop: stop.signal,
      onListening: (url, source, warnings) => {
        for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`)
        process.stderr.write(
          `driftcore MCP server on ${url} (bearer token from ${source}); Ctrl-C stops it\n`,
        )
      },
    })
  }
}
