import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { DriftcoreError } from 'driftcore/api'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import type { McpHost } from '../server/host.js'
import { stderrSink } from '../server/logging.js'
import { SessionEventStore } from './events.js'
import { atNegotiatedVersion, onNegotiated } from './protocol-version.js'
import { bearerValid, hostAllowed, isLoopback, originAllowed } from './guard.js'
import type { Metrics } from './metrics.js'
import { HttpSessions, type SessionRow } from './sessions.js'

/** How long a client whose stream broke waits before it reconnects (the SSE `retry` field). */
export const RETRY_MS = 1_000

export interface HttpOptions {
  host: string
  port: number
  token: string
  allowedHosts: string[]
  allowedOrigins: string[]
  maxBodyBytes: number
  maxSessions: number
  sessionIdleMs: number
  metrics: Metrics
  /** Facts for an authorised /health/ready: the policy snapshot in force (the session table is added here). */
  readiness(): Record<string, unknown>
  /** Said on stderr at start, and in an authorised /health/ready (e.g. a bind beyond loopback). */
  warnings: string[]
  /**
   * `driftcore serve`: the control API for people, under /control/ (its own person tokens; the
   * MCP token opens nothing there). Host and Origin checks apply to it as to /mcp.
   */
  control?: (req: IncomingMessage, res: ServerResponse) => Promise<void>
}

/**
 * Streamable HTTP at /mcp, plus /health/live, /health/ready and /metrics. Every request
 * passes the Host and Origin checks (403); on a bind beyond loopback, /mcp and /metrics also
 * need an Origin. /mcp and /metrics need the bearer token (401); /health/ready answers only
 * ready or not without it, and its details with it.
 * Resolves with the URL once listening; `closed` resolves when `stop` has shut it down.
 */
export async function serveHttp(
  mcp: McpHost,
  options: HttpOptions,
  stop: AbortSignal,
): Promise<{ url: string; closed: Promise<void> }> {
  const sessions = new HttpSessions(options.maxSessions, options.sessionIdleMs, (id, client, reason) =>
    // A full table is worth a warning (raise mcp.http.max_sessions?); an idle timeout is routine.
    stderrSink(
      reason === 'idle' ? 'info' : 'warn',
      `closed the ${reason} MCP session ${id.slice(0, 8)}… (${client})${reason === 'idle' ? '' : ' to make room'}`,
    ),
  )
  const hosts = wildcard(options.host) ? options.allowedHosts : [...options.allowedHosts, options.host]
  let stopping = false

  // Beyond loopback a request without Origin is refused: a client there says where it comes from.
  const exposed = !isLoopback(options.host)
  const route = async (req: IncomingMessage, res: ServerResponse) => {
    if (!hostAllowed(req.headers.host, hosts)) return reply(res, 403, 'Forbidden: Host not allowed')
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    const health = path === '/health/live' || path === '/health/ready'
    const origin = { required: exposed && !health, host: req.headers.host }
    if (!originAllowed(req.headers.origin, options.allowedOrigins, origin))
      return reply(
        res,
        403,
        req.headers.origin === undefined
          ? 'Forbidden: an Origin header is required on a server bound beyond loopback'
          : 'Forbidden: Origin not allowed',
      )
    if (path === '/health/live') return replyJson(res, 200, { status: 'live' })
    if (options.control && path.startsWith('/control/')) return options.control(req, res)
    if (path === '/health/ready') {
      if (stopping) return replyJson(res, 503, { status: 'stopping' })
      // What runs inside (policy version, sessions, warnings) is for the token holder only.
      if (!bearerValid(req.headers.authorization, options.token))
        return replyJson(res, 200, { status: 'ready' })
      const table: SessionRow[] = sessions.table()
      return replyJson(res, 200, {
        status: 'ready',
        ...options.readiness(),
        sessions: { open: table.length, max: options.maxSessions, idle_ms: options.sessionIdleMs, table },
        warnings: options.warnings,
      })
    }
    if (path !== '/mcp' && path !== '/metrics') return reply(res, 404, 'Not found')
    if (!bearerValid(req.headers.authorization, options.token)) return unauthorized(req, res)
    if (path === '/metrics') {
      res.writeHead(200, { 'Content-Type': options.metrics.registry.contentType })
      return void res.end(await options.metrics.registry.metrics())
    }
    return handleMcp(req, res)
  }

  const handleMcp = async (req: IncomingMessage, res: ServerResponse) => {
    const id = req.headers['mcp-session-id']
    if (typeof id === 'string') {
      const entry = sessions.touch(id)
      if (!entry) return reply(res, 404, 'Session not found', -32001)
      atNegotiatedVersion(req, entry.session.protocolVersion)
      return entry.transport.handleRequest(req, res)
    }
    if (req.method !== 'POST') return reply(res, 400, 'Bad Request: no session; initialize with a POST first')
    if (stopping) return reply(res, 503, 'Shutting down')
    if (!(await sessions.hasRoom())) {
      res.setHeader('Retry-After', '5')
      return reply(
        res,
        503,
        `Too many sessions: all ${options.maxSessions} have a request in progress (raise mcp.http.max_sessions)`,
      )
    }
    // A new transport per session; one that never initializes (a bad first request) is dropped.
    const sessionId = randomUUID()
    const session = mcp.open(sessionId)
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => sessionId,
      onsessioninitialized: () => sessions.add(sessionId, transport, session),
      onsessionclosed: () => sessions.delete(sessionId),
      maxRequestBodySize: options.maxBodyBytes,
      // Event ids, a priming event and `retry`: a client whose stream breaks resumes with
      // Last-Event-ID and gets what it missed, a call's result included.
      eventStore: new SessionEventStore(),
      retryInterval: RETRY_MS,
    })
    transport.onclose = () => sessions.delete(sessionId)
    onNegotiated(transport, (version) => (session.protocolVersion = version))
    await session.server.connect(transport)
    await transport.handleRequest(req, res)
    if (!sessions.has(sessionId)) await session.server.close()
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      process.stderr.write(`error: HTTP ${req.method} ${req.url}: ${(error as Error).message}\n`)
      if (!res.headersSent) reply(res, 500, 'Internal error')
      else res.end()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      sessions.stop()
      reject(
        new DriftcoreError(
          'unavailable',
          `cannot listen on ${options.host}:${options.port}: ${error.message}`,
          {
            hint:
              error.code === 'EADDRINUSE'
                ? 'another program uses that port: pick one with --port (0 picks a free one)'
                : 'check --host / mcp.http.host',
            cause: error,
          },
        ),
      )
    })
    server.listen(options.port, options.host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const shown = options.host.includes(':') ? `[${options.host}]` : options.host
  const closed = new Promise<void>((resolve) => {
    const shutdown = async () => {
      stopping = true
      server.close()
      await sessions.closeAll()
      server.closeAllConnections()
      resolve()
    }
    if (stop.aborted) void shutdown()
    else stop.addEventListener('abort', () => void shutdown(), { once: true })
  })
  return { url: `http://${shown}:${port}/mcp`, closed }
}

/**
 * 401 as RFC 6750 says, with a description that tells a client (the MCP Inspector, an SDK
 * client with an OAuth provider) this is a static bearer token, not OAuth: driftcore serves no
 * protected-resource metadata (RFC 9728), so there is no authorization server to discover.
 */
function unauthorized(req: IncomingMessage, res: ServerResponse): void {
  const sent = req.headers.authorization !== undefined
  const description = sent
    ? "the bearer token is not this server's; driftcore uses a static token, not OAuth"
    : 'send Authorization: Bearer <token>; driftcore uses a static token, not OAuth'
  res.setHeader(
    'WWW-Authenticate',
    `Bearer realm="driftcore"${sent ? ', error="invalid_token"' : ''}, error_description="${description}"`,
  )
  reply(
    res,
    401,
    `Unauthorized: ${description}. The token is DRIFTCORE_MCP_TOKEN, mcp.http.token, or the file ` +
      '.driftcore/state/mcp-token of the project the server runs in.',
  )
}

function wildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === ''
}

// Errors in JSON-RPC form, as MCP clients expect from /mcp (id unknown before parsing).
function reply(res: ServerResponse, status: number, message: string, code = -32000): void {
  replyJson(res, status, { jsonrpc: '2.0', error: { code, message }, id: null })
}

function replyJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' })
  res.end(JSON.stringify(body))
}
