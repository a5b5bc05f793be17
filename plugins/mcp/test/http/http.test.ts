import { stat } from 'node:fs/promises'
import { request } from 'node:http'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { allowOverrides } from '../../../../test/helpers/project.js'
import {
  HELLO,
  httpClient,
  httpServer,
  initializeRequest,
  mcpProject,
  runCli,
  textOf,
  type HttpServer,
  type TempProject,
} from '../helpers.js'

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** A raw HTTP request, so Host, Origin and body size can be anything a browser or attacker sends. */
function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => (body += chunk.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

const initialize = JSON.stringify(initializeRequest('raw'))
const mcpHeaders = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' }

describe('mcp serve over HTTP', () => {
  let project: TempProject
  let server: HttpServer
  let base: string

  beforeAll(async () => {
    project = await mcpProject({ config: 'mcp:\n  http:\n    max_body_bytes: 4096\n' })
    server = await httpServer(project)
    base = server.url.replace(/\/mcp$/, '')
  })
  afterAll(async () => {
    await server.stop()
    await project.cleanup()
  })

  it('binds 127.0.0.1 by default and generates its token into .driftcore/ with mode 0600', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/)
    const file = path.join(project.home, 'state', 'mcp-token')
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(server.stderr()).toContain(`bearer token from ${file}`)
    expect(server.stderr()).not.toContain(server.token)
  })

  it('answers /health/live and /health/ready without a token; the details only with it', async () => {
    expect(await send(`${base}/health/live`)).toMatchObject({ status: 200 })
    const ready = await send(`${base}/health/ready`)
    expect(ready.status).toBe(200)
    expect(JSON.parse(ready.body)).toEqual({ status: 'ready' })
    const detailed = await send(`${base}/health/ready`, {
      headers: { Authorization: `Bearer ${server.token}` },
    })
    const body = JSON.parse(detailed.body) as {
      status: string
      policy: { version: number }
      warnings: string[]
    }
    expect(body.status).toBe('ready')
    expect(body.policy.version).toBeGreaterThanOrEqual(0)
    expect(body.warnings).toEqual([])
  })

  it('refuses /mcp and /metrics with 401 when the token is missing or wrong', async () => {
    const missing = await send(server.url, { method: 'POST', headers: mcpHeaders, body: initialize })
    expect(missing.status).toBe(401)
    expect(missing.headers['www-authenticate']).toMatch(
      /^Bearer realm="driftcore", error_description="[^"]+"$/,
    )
    const wrong = await send(server.url, {
      method: 'POST',
      headers: { ...mcpHeaders, Authorization: `Bearer ${server.token.slice(0, -1)}x` },
      body: initialize,
    })
    expect(wrong.status).toBe(401)
    expect((await send(`${base}/metrics`)).status).toBe(401)
  })

  it('refuses a foreign Origin or Host with 403, even with the token (DNS rebinding)', async () => {
    const auth = { ...mcpHeaders, Authorization: `Bearer ${server.token}` }
    const origin = await send(server.url, {
      method: 'POST',
      headers: { ...auth, Origin: 'https://evil.example' },
      body: initialize,
    })
    expect(origin.status).toBe(403)
    const host = await send(server.url, {
      method: 'POST',
      headers: { ...auth, Host: 'evil.example:80' },
      body: initialize,
    })
    expect(host.status).toBe(403)
    expect((await send(`${base}/health/live`, { headers: { Host: 'evil.example' } })).status).toBe(403)
    const local = await send(server.url, {
      method: 'POST',
      headers: { ...auth, Origin: 'http://localhost:3000' },
      body: initialize,
    })
    expect(local.status).toBe(200)
  })

  it('rejects a body over mcp.http.max_body_bytes with 413 before parsing it', async () => {
    const big = JSON.stringify(initializeRequest('x'.repeat(5000)))
    const reply = await send(server.url, {
      method: 'POST',
      headers: { ...mcpHeaders, Authorization: `Bearer ${server.token}` },
      body: big,
    })
    expect(reply.status).toBe(413)
  })

  it('fails clearly, exit 9, when the port is taken', async () => {
    const port = new URL(server.url).port
    const taken = await runCli(project, ['mcp', 'serve', '--transport', 'http', '--port', port])
    expect(taken.exitCode).toBe(9)
    expect(taken.stderr).toContain(`cannot listen on 127.0.0.1:${port}`)
    expect(taken.stderr).toContain('pick one with --port')
  })

  it('serves the official SDK client with sessions, and answers 404 for an unknown session', async () => {
    const client = await httpClient(server)
    try {
      const { tools } = await client.listTools()
      expect(tools.map((t) => t.name)).toEqual(
        expect.arrayContaining(['hello.greet', 'fixture.noop', 'config.effective']),
      )
      const result = await client.callTool({ name: 'hello.greet', arguments: { name: 'http' } })
      expect(result.structuredContent).toMatchObject({ greeting: 'hello http' })
      const unknown = await send(server.url, {
        method: 'POST',
        headers: {
          ...mcpHeaders,
          Authorization: `Bearer ${server.token}`,
          'Mcp-Session-Id': 'no-such-session',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
      })
      expect(unknown.status).toBe(404)
    } finally {
      await client.close()
    }
  })

  it('exposes Prometheus metrics: calls by tool, decision and outcome, latency, approvals pending', async () => {
    const client = await httpClient(server)
    try {
      await client.callTool({ name: 'fixture.noop', arguments: {} })
      await client.callTool({ name: 'fixture.noop', arguments: {} })
      const pending = await client.callTool({ name: 'hello.shout', arguments: { words: ['m'] } })
      expect(textOf(pending)).toContain('Approval id: apr_')
    } finally {
      await client.close()
    }
    const metrics = await send(`${base}/metrics`, { headers: { Authorization: `Bearer ${server.token}` } })
    expect(metrics.status).toBe(200)
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/)
    expect(metrics.body).toContain(
      'driftcore_mcp_tool_calls_total{tool="fixture.noop",decision="ALLOW",outcome="ok"} 2',
    )
    expect(metrics.body).toContain(
      'driftcore_mcp_tool_calls_total{tool="hello.shout",decision="REQUIRE_APPROVAL",outcome="approval_required"} 1',
    )
    expect(metrics.body).toMatch(/driftcore_mcp_tool_call_duration_seconds_count\{tool="fixture.noop"\} 2/)
    expect(metrics.body).toMatch(/driftcore_mcp_approvals_pending \d+/)
    expect(Number(/driftcore_mcp_approvals_pending (\d+)/.exec(metrics.body)![1])).toBeGreaterThanOrEqual(1)
  })
})

describe('approvals over HTTP', () => {
  it('asks the client through elicitation on the call’s own stream and runs the call once approved', async () => {
    // Only where policy accepts the client's word for the tool is the client asked at all.
    const project = await mcpProject({
      plugins: [HELLO],
      policy: {
        'client.yaml': `apiVersion: driftcore/v1
kind: PolicyBundle
name: client
rules:
  - id: shout-on-the-clients-word
    decision: REQUIRE_APPROVAL
    match: { tools: [hello.shout] }
    approval: { client_attested: true }
`,
      },
    })
    await allowOverrides(project, ['launcher.allowlist']) // a protected key, set with -c below
    const server = await httpServer(project, { args: ['-c', 'launcher.allowlist=[echo]'] })
    const client = await httpClient(server, { capabilities: { elicitation: { form: {} } } })
    try {
      let asked = 0
      client.setRequestHandler(ElicitRequestSchema, () => {
        asked += 1
        return { action: 'accept', content: { decision: 'approve' } }
      })
      const result = await client.callTool({ name: 'hello.shout', arguments: { words: ['over', 'http'] } })
      expect(asked).toBe(1)
      expect(result.structuredContent).toEqual({ stdout: 'over http\n', exit_code: 0 })
    } finally {
      await client.close()
      await server.stop()
      await project.cleanup()
    }
  })
})

describe('the HTTP token', () => {
  it('comes from DRIFTCORE_MCP_TOKEN when set, and no token file is written', async () => {
    const project = await mcpProject({ plugins: [] })
    const token = 'a-token-from-the-environment-0123456789'
    const server = await httpServer(project, { env: { DRIFTCORE_MCP_TOKEN: token } })
    try {
      const client = await httpClient(server)
      expect((await client.listTools()).tools.length).toBeGreaterThan(0)
      await client.close()
      await expect(stat(path.join(project.home, 'state', 'mcp-token'))).rejects.toMatchObject({
        code: 'ENOENT',
      })
    } finally {
      await server.stop()
      await project.cleanup()
    }
  })

  it('comes from a secret reference in mcp.http.token', async () => {
    const project = await mcpProject({
      plugins: [],
      config: 'mcp:\n  http:\n    token: secret://env/MY_MCP_TOKEN\n',
    })
    const token = 'the-token-behind-a-secret-reference-42'
    const server = await httpServer(project, { env: { MY_MCP_TOKEN: token } })
    try {
      expect(server.stderr()).toContain('bearer token from secret://env/MY_MCP_TOKEN')
      const client = await httpClient({ url: server.url, token })
      expect((await client.listTools()).tools.length).toBeGreaterThan(0)
      await client.close()
    } finally {
      await server.stop()
      await project.cleanup()
    }
  })
})
