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

// Issue 15: a client without the token (or with a wrong one) must learn it needs driftcore's
// static bearer token, not start an OAuth flow against a server that has no authorization server.

const mcpHeaders = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' }
const initialize = JSON.stringify(initializeRequest('no-token'))

describe('a request to /mcp without the right token', () => {
  let project: TempProject
  let server: HttpServer
  let base: string

  beforeAll(async () => {
    project = await mcpProject({ plugins: [] })
    server = await httpServer(project)
    base = server.url.replace(/\/mcp$/, '')
  })
  afterAll(async () => {
    await server.stop()
    await project.cleanup()
  })

  it('gets 401 with a Bearer challenge that says the token is static, not OAuth', async () => {
    const reply = await fetch(server.url, { method: 'POST', headers: mcpHeaders, body: initialize })
    expect(reply.status).toBe(401)
    const challenge = reply.headers.get('www-authenticate')!
    expect(challenge).toMatch(/^Bearer realm="driftcore", error_description="[^"]*not OAuth"$/)
    // No resource_metadata: there is no authorization server for a client to discover.
    expect(challenge).not.toContain('resource_metadata')
    const body = (await reply.json()) as { error: { message: string } }
    expect(body.error.message).toContain('.driftcore/state/mcp-token')
  })

  it('with a wrong token, says invalid_token', async () => {
    const reply = await fetch(server.url, {
      method: 'POST',
      headers: { ...mcpHeaders, Authorization: 'Bearer not-the-token-0123456789' },
      body: initialize,
    })
    expect(reply.status).toBe(401)
    expect(reply.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="driftcore", error="invalid_token", error_description="[^"]+"$/,
    )
  })

  it('finds no OAuth metadata to start a flow with', async () => {
    for (const well of [
      'oauth-protected-resource',
      'oauth-protected-resource/mcp',
      'oauth-authorization-server',
    ]) {
      const reply = await fetch(`${base}/.well-known/${well}`)
      expect(reply.status, well).toBe(404)
      await reply.body?.cancel()
    }
  })

  it('tells the SDK client, which has no OAuth provider, what to send', async () => {
    const client = new Client({ name: 'no-token', version: '1' })
    const error = await client
      .connect(new StreamableHTTPClientTransport(new URL(server.url)))
      .then(() => undefined)
      .catch((e: unknown) => e as Error)
    expect(error?.message).toContain('driftcore uses a static token, not OAuth')
    await client.close()
  })
})
