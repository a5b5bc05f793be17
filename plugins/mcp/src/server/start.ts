import path from 'node:path'
import type { Kernel, KernelOptions } from 'driftcore/api'
import { mcpConfig } from '../config/section.js'
import { McpHost } from './host.js'
import { LiveKernel } from './live-kernel.js'
import { LogRelay } from './logging.js'
import { serveStdio } from './stdio.js'
import { watchFiles, type WatchPlan } from './watch.js'

type LogSink = NonNullable<KernelOptions['logSink']>

export interface ServeOptions {
  transport: 'stdio' | 'http'
  /** Opens a kernel logging into `sink`; called again whenever config or plugins change. */
  openKernel(sink: LogSink): Promise<Kernel>
  /** oclif's folders: the user config layer and the installed-plugins list live there. */
  dirs: { configDir: string; dataDir: string }
  version: string
  /** Overrides of `mcp.http.host` / `mcp.http.port`. */
  http?: { host?: string | undefined; port?: number | undefined }
  stop: AbortSignal
  /** HTTP: serve the control API (people, with person tokens) beside /mcp: `driftcore serve`. */
  control?: boolean
  /** HTTP: called once listening, with the URL, where the token came from, and warnings to show. */
  onListening?(url: string, tokenSource: string, warnings: string[]): void
}

/** Runs the MCP server until the client leaves (stdio) or `stop` is aborted. */
export async function serve(options: ServeOptions): Promise<void> {
  const relay = new LogRelay()
  let token: string | undefined
  const open = async () => {
    const kernel = await options.openKernel(relay.sink)
    if (token) kernel.redactor.register(token)
    return kernel
  }
  const first = await open()
  const live = new LiveKernel(first, open, (message) => relay.sink('warn', message))
  const watching = watchFiles(watchPlan(first, options.dirs), {
    reopen: (file) => {
      relay.sink('debug', `${file} changed: reloading config and plugins`)
      void live.reopen(`${file} changed`)
    },
    policy: (file) => {
      relay.sink('debug', `${file} changed: reloading the policy`)
      void live.reloadPolicy()
    },
  })
  const common = { live, version: options.version }
  try {
    await watching.ready
    if (options.transport === 'stdio') {
      await serveStdio(new McpHost({ ...common, transport: 'stdio', local: true }, relay), options.stop)
      return
    }
    // The HTTP side (its transport, metrics, token) loads only here: a copilot spawning the
    // stdio server on every session should not wait for modules it never uses.
    const [{ isLoopback }, { createMetrics }, { serveHttp }, { resolveToken }] = await Promise.all([
      import('../http/guard.js'),
      import('../http/metrics.js'),
      import('../http/server.js'),
      import('../http/token.js'),
    ])
    const config = mcpConfig(first.config.values).http
    const bind = options.http?.host ?? config.host
    const resolved = await resolveToken(first)
    token = resolved.token
    const metrics = createMetrics({
      pendingApprovals: () => live.current().approvals.pendingCount(),
      sessions: () => host.sessions.size,
    })
    const host = new McpHost({ ...common, transport: 'http', local: isLoopback(bind), metrics }, relay)
    const warnings = isLoopback(bind) ? [] : [exposureWarning(bind)]
    const control = options.control
      ? await (
          await import('driftcore/api')
        ).controlHandler({
          use: (work) => live.use(work),
          stateDir: first.paths.state,
          version: options.version,
          warn: (message) => relay.sink('warn', message),
        })
      : undefined
    const { url, closed } = await serveHttp(
      host,
      {
        host: bind,
        port: options.http?.port ?? config.port,
        token: resolved.token,
        allowedHosts: config.allowed_hosts,
        allowedOrigins: config.allowed_origins,
        maxBodyBytes: config.max_body_bytes,
        maxSessions: config.max_sessions,
        sessionIdleMs: config.session_idle_ms,
        metrics,
        readiness: () => ({ policy: { version: live.current().policy().snapshot.version } }),
        warnings,
        ...(control ? { control } : {}),
      },
      options.stop,
    )
    options.onListening?.(url, resolved.source, warnings)
    await closed
  } finally {
    await watching.close()
    // Calls aborted by the shutdown still record their audit entries before the log is flushed.
    await live.drain(5_000)
    await live.close()
  }
}

function exposureWarning(bind: string): string {
  return (
    `bound to ${bind}, reachable from other machines: anyone who can reach it and holds the token can call ` +
    'tools as an agent; requests must carry an allowed Origin, and elicitation approvals are off unless ' +
    'mcp.elicitation.approvals is on. Bind 127.0.0.1 unless you mean it.'
  )
}

/** Config layers and the plugin list reopen the kernel; policy files only reload the policy. */
function watchPlan(kernel: Kernel, dirs: ServeOptions['dirs']): WatchPlan {
  return {
    reopen: [
      kernel.paths.config,
      path.join(dirs.configDir, 'config.yaml'),
      kernel.paths.packs,
      path.join(dirs.dataDir, 'package.json'),
    ],
    policy: [kernel.paths.policy, path.join(kernel.paths.state, 'policy.json')],
    ignore: [path.join(kernel.paths.policy, 'snapshots')],
  }
}
