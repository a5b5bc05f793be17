import { stat } from 'node:fs/promises'
import path from 'node:path'
import { Config, Flags } from '@oclif/core'
import { DriftcoreCommand, DriftcoreError, openKernel } from 'driftcore'

export default class Serve extends DriftcoreCommand<typeof Serve> {
  static override summary =
    'Service mode: the MCP HTTP server for agents and the control API for people, in one process'
  static override description =
    'Run it as its own OS user (e.g. `driftcore`, see docs/guides/service-mode.md) that owns .driftcore/: agents, ' +
    'as other users, reach the project only through /mcp with the MCP token (as `mcp serve --transport http`); ' +
    'people use the control API under /control/v1 with their own tokens (`driftcore serve tokens add NAME`) and ' +
    'the same commands with --server or DRIFTCORE_SERVER (approvals, workflow, audit, policy simulate/explain). ' +
    'It refuses to start when .driftcore/ is not owned by its user or can be reached by group or others ' +
    '(it does not fix it: chmod 700 and chown are the operator’s call), and creates every file with mode 0600. ' +
    'The OpenAPI document is served at /control/v1/openapi.json.'
  static override enableJsonFlag = false
  static override examples = [
    '<%= config.bin %> serve',
    '<%= config.bin %> serve --port 7800',
    'sudo -u driftcore <%= config.bin %> serve --home /srv/site/.driftcore',
    'DRIFTCORE_SERVER=http://127.0.0.1:7800 DRIFTCORE_SERVER_TOKEN=dcp_… <%= config.bin %> approvals list',
  ]
  static override flags = {
    host: Flags.string({
      description:
        'address to bind (default: mcp.http.host, 127.0.0.1); anything else warns and requires an Origin header',
    }),
    port: Flags.integer({
      min: 0,
      max: 65_535,
      description: 'port (default: mcp.http.port, 7800; 0 picks one)',
    }),
  }

  async run(): Promise<void> {
    const home = await ownedHome(this.paths().home)
    // Whatever this process creates (audit segments, state, tokens) is for its own user only.
    process.umask(0o077)
    const { serve } = await import('../server/start.js')
    const stop = new AbortController()
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort())
    let reload = false
    await serve({
      transport: 'http',
      control: true,
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
        const base = url.replace(/\/mcp$/, '')
        process.stderr.write(
          `driftcore serving ${home}\n` +
            `  agents: MCP on ${url} (bearer token from ${source})\n` +
            `  people: control API on ${base}/control/v1 (person tokens: driftcore serve tokens add NAME); ` +
            `DRIFTCORE_SERVER=${base}\n`,
        )
      },
    })
  }
}

/**
 * The project's .driftcore/, if this process's user owns it and nobody else can reach it: the
 * whole point of service mode is that the agent's user cannot read or change the state.
 */
async function ownedHome(home: string): Promise<string> {
  const resolved = path.resolve(home)
  let info
  try {
    info = await stat(resolved)
  } catch (error) {
    throw new DriftcoreError('not_found', `${resolved} does not exist`, {
      hint: 'create the project first (driftcore init, as the service user), or pass --home',
      cause: error,
    })
  }
  const uid = process.getuid?.()
  if (uid !== undefined && info.uid !== uid) {
    throw new DriftcoreError(
      'forbidden',
      `${resolved} belongs to uid ${info.uid}, not to this process's user (uid ${uid}); service mode runs as the user that owns the state`,
      { hint: `run serve as its owner, or: chown -R <service user>: ${resolved}` },
    )
  }
  if ((info.mode & 0o077) !== 0) {
    throw new DriftcoreError(
      'forbidden',
      `${resolved} can be reached by group or others (mode ${(info.mode & 0o777).toString(8)}); in service mode only its owner may`,
      { hint: `chmod 700 ${resolved}` },
    )
  }
  return resolved
}
