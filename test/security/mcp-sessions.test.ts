import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import {
  Cleanup,
  httpClient,
  httpServer,
  initializeRequest,
  mcpProject,
  runCli,
  type HttpServer,
  type TempProject,
} from '../../plugins/mcp/test/helpers.js'

// Issue 15, sessions: clients that never say goodbye (the Inspector, the conformance suite, a
// script that exits) used to fill the 32-session table for 30 minutes, and the 33rd client got
// 503 Too many sessions. A flood of new sessions must not be able to kill a call in progress either.

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

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

interface Table {
  sessions: {
    open: number
    max: number
    idle_ms: number
    table: { id: string; client: string; pending_requests: number; idle_ms: number }[]
  }
}

async function readiness(server: HttpServer): Promise<Table> {
  const reply = await send(server.url.replace(/\/mcp$/, '/health/ready'), {
    headers: { Authorization: `Bearer ${server.token}` },
  })
  return JSON.parse(reply.body) as Table
}

describe('a shared HTTP server with the default session table', () => {
  let project: TempProject
  let server: HttpServer
  const cleanup = new Cleanup()

  beforeAll(async () => {
    project = await mcpProject()
    server = await httpServer(project)
  })
  afterAll(async () => {
    await cleanup.run()
    await server.stop()
    await project.cleanup()
  })

  it('serves 100 sequential SDK clients that never close their sessions', async () => {
    const clients: Client[] = []
    for (let i = 0; i < 100; i++) {
      const client = cleanup.add(await httpClient(server), (c) => c.close())
      clients.push(client)
      await expect(client.ping()).resolves.toEqual({})
    }
    const { sessions } = await readiness(server)
    expect(sessions.max).toBe(32)
    expect(sessions.open).toBeLessThanOrEqual(32)
    // The newest client is still served; the least recently used ones made room.
    expect((await clients[99]!.listTools()).tools.length).toBeGreaterThan(0)
    expect(server.stderr()).toContain('closed the least recently used MCP session')
  })

  it('shows the session table only to the token holder, with ids cut short', async () => {
    const client = cleanup.add(await httpClient(server), (c) => c.close())
    await client.listTools()
    const anonymous = await send(server.url.replace(/\/mcp$/, '/health/ready'))
    expect(JSON.parse(anonymous.body)).toEqual({ status: 'ready' })
    const { sessions } = await readiness(server)
    expect(sessions.table.length).toBe(sessions.open)
    expect(sessions.table[0]).toMatchObject({ client: 'vitest-http-agent', pending_requests: 0 })
    // A full session id plus the token would let one agent act in another's session.
    for (const row of sessions.table) expect(row.id).toMatch(/^[0-9a-f-]{8}…$/)
  })

  it('ends the session of driftcore’s own SDK client (sdk snapshot --server) when it is done', async () => {
    const before = (await readiness(server)).sessions.table.filter((r) => r.client === 'driftcore-sdk')
    const snapshot = await runCli(
      project,
      ['sdk', 'snapshot', '--server', server.url, '--out', 'catalog.json'],
      {
        env: { DRIFTCORE_MCP_TOKEN: server.token },
      },
    )
    expect(snapshot.exitCode, snapshot.stderr).toBe(0)
    const after = (await readiness(server)).sessions.table.filter((r) => r.client === 'driftcore-sdk')
    expect(after.length).toBe(before.length)
  })
})

describe('a flood of new sessions', () => {
  let project: TempProject
  let server: HttpServer
  const cleanup = new Cleanup()

  beforeAll(async () => {
    project = await mcpProject({ config: 'mcp:\n  http:\n    max_sessions: 2\n' })
    server = await httpServer(project)
  })
  afterAll(async () => {
    await cleanup.run()
    await server.stop()
    await project.cleanup()
  })

  it('cannot evict a session whose call is still running, and gets 503 once every session is busy', async () => {
    const busy = cleanup.add(await httpClient(server), (c) => c.close())
    const call = busy.callTool({ name: 'fixture.wait', arguments: { ms: 4_000 } })
    // Each new client takes the place of the last idle one, never of the busy one.
    for (let i = 0; i < 5; i++) {
      const client = cleanup.add(await httpClient(server), (c) => c.close())
      expect((await client.listTools()).tools.length).toBeGreaterThan(0)
    }
    const second = cleanup.add(await httpClient(server), (c) => c.close())
    const secondCall = second.callTool({ name: 'fixture.wait', arguments: { ms: 2_000 } })
    await expect
      .poll(async () => (await readiness(server)).sessions.table.filter((r) => r.pending_requests > 0).length)
      .toBe(2)
    const refused = await send(server.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        Authorization: `Bearer ${server.token}`,
      },
      body: JSON.stringify(initializeRequest('flood')),
    })
    expect(refused.status).toBe(503)
    expect(refused.headers['retry-after']).toBe('5')
    expect(refused.body).toContain('have a request in progress')
    expect(await call).toMatchObject({ structuredContent: { waited: 4_000 } })
    expect(await secondCall).toMatchObject({ structuredContent: { waited: 2_000 } })
  })
})
