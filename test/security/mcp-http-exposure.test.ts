import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import {
  httpServer,
  initializeRequest,
  mcpProject,
  type HttpServer,
  type TempProject,
} from '../../plugins/mcp/test/helpers.js'

// Hole 11, MCP part: a server bound beyond loopback must say so, must not tell strangers what
// runs inside it, and must not accept requests that carry no Origin at all.

function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => (body += chunk.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

const mcpHeaders = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' }
const initialize = JSON.stringify(initializeRequest('stranger'))

describe('mcp serve --host 0.0.0.0', () => {
  let project: TempProject
  let server: HttpServer
  let base: string

  beforeAll(async () => {
    project = await mcpProject()
    server = await httpServer(project, { args: ['--host', '0.0.0.0'] })
    // Reached through loopback: the Host check lets 127.0.0.1 in; what matters is the bind.
    base = `http://127.0.0.1:${new URL(server.url).port}`
  })
  afterAll(async () => {
    await server.stop()
    await project.cleanup()
  })

  it('warns on stderr that the server is reachable from the network', () => {
    expect(server.stderr()).toMatch(/warning: .*0\.0\.0\.0.*reachable from other machines/)
  })

  it('/health/ready tells an unauthenticated caller only whether it is ready', async () => {
    const anonymous = await send(`${base}/health/ready`)
    expect(anonymous.status).toBe(200)
    expect(JSON.parse(anonymous.body)).toEqual({ status: 'ready' })

    const authorised = await send(`${base}/health/ready`, {
      headers: { Authorization: `Bearer ${server.token}` },
    })
    const details = JSON.parse(authorised.body) as Record<string, unknown>
    expect(details).toMatchObject({
      status: 'ready',
      sessions: { open: 0, max: 32, table: [] },
      policy: { version: expect.any(Number) },
    })
    expect(details.warnings).toEqual([expect.stringContaining('0.0.0.0')])
  })

  it('refuses a request without Origin, even with the token', async () => {
    const bare = await send(`${base}/mcp`, {
      method: 'POST',
      headers: { ...mcpHeaders, Authorization: `Bearer ${server.token}` },
      body: initialize,
    })
    expect(bare.status).toBe(403)
    expect(bare.body).toContain('Origin')
    const foreign = await send(`${base}/mcp`, {
      method: 'POST',
      headers: { ...mcpHeaders, Authorization: `Bearer ${server.token}`, Origin: 'https://evil.example' },
      body: initialize,
    })
    expect(foreign.status).toBe(403)
  })

  it('serves the official SDK client that sends its Origin', async () => {
    const client = new Client({ name: 'remote-agent', version: '1.0.0' })
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${server.token}`, Origin: base } },
      }),
    )
    try {
      const result = await client.callTool({ name: 'hello.greet', arguments: { name: 'remote' } })
      expect(result.structuredContent).toMatchObject({ greeting: 'hello remote' })
    } finally {
      await client.close()
    }
  })
})
