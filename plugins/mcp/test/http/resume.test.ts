import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { allowOverrides } from '../../../../test/helpers/project.js'
import {
  HELLO,
  httpClient,
  httpServer,
  initializeRequest,
  mcpProject,
  type HttpServer,
  type TempProject,
} from '../helpers.js'

// A client that loses its stream while a question is open (a laptop lid, a proxy's idle cut)
// reconnects with Last-Event-ID and still gets the call's result: event ids, a priming event
// with `retry`, and a per-session event store.

const CLIENT_WORD = `apiVersion: driftcore/v1
kind: PolicyBundle
name: client
rules:
  - id: shout-on-the-clients-word
    decision: REQUIRE_APPROVAL
    match: { tools: [hello.shout] }
    approval: { client_attested: true }
`

/** A loopback proxy that cuts the tools/call stream right after it carries the elicitation request. */
async function cuttingProxy(upstream: URL): Promise<{ url: string; cuts: () => number; close(): void }> {
  let cuts = 0
  const proxy: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const call = body.includes('"tools/call"')
      const forward = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.on('data', (chunk: Buffer) => {
            res.write(chunk)
            if (call && chunk.includes('elicitation/create')) {
              cuts += 1
              answer.destroy()
              res.destroy()
            }
          })
          answer.on('end', () => res.end())
        },
      )
      forward.on('error', () => res.destroy())
      forward.end(body)
    })
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  const { port } = proxy.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    cuts: () => cuts,
    close: () => {
      proxy.closeAllConnections()
      proxy.close()
    },
  }
}

describe('resumable Streamable HTTP', () => {
  let project: TempProject
  let server: HttpServer

  beforeAll(async () => {
    project = await mcpProject({ plugins: [HELLO], policy: { 'client.yaml': CLIENT_WORD } })
    await allowOverrides(project, ['launcher.allowlist'])
    server = await httpServer(project, { args: ['-c', 'launcher.allowlist=[echo]'] })
  })
  afterAll(async () => {
    await server.stop()
    await project.cleanup()
  })

  it('delivers the result of a call whose stream broke during the approval question', async () => {
    const proxy = await cuttingProxy(new URL(server.url))
    const client = await httpClient(
      { url: proxy.url, token: server.token },
      { capabilities: { elicitation: { form: {} } } },
    )
    try {
      let asked = 0
      client.setRequestHandler(ElicitRequestSchema, () => {
        asked += 1
        return { action: 'accept', content: { decision: 'approve' } }
      })
      const result = await client.callTool({ name: 'hello.shout', arguments: { words: ['resumed'] } })
      expect(proxy.cuts()).toBe(1)
      expect(asked).toBe(1)
      expect(result.structuredContent).toEqual({ stdout: 'resumed\n', exit_code: 0 })
    } finally {
      await client.close()
      proxy.close()
    }
  })

  it('sends a priming event with an id and retry first on a POST stream', async () => {
    const reply = await fetch(server.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        Authorization: `Bearer ${server.token}`,
      },
      body: JSON.stringify(initializeRequest('raw-resume')),
    })
    const text = await reply.text()
    expect(text).toMatch(/^id: [\w-]+\.1\nretry: 1000\ndata: \n\n/)
  })

  // The conformance suite's server-sse-polling sends MCP-Protocol-Version 2025-03-26 on a session
  // that negotiated 2025-11-25; the SDK decides priming from that header alone.
  const rawSession = async (protocolVersion: string) => {
    const init = initializeRequest('raw-priming') as { params: Record<string, unknown> }
    const reply = await fetch(server.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        Authorization: `Bearer ${server.token}`,
      },
      body: JSON.stringify({ ...init, params: { ...init.params, protocolVersion } }),
    })
    await reply.text()
    const session = reply.headers.get('mcp-session-id')!
    return async (header: string) => {
      const list = await fetch(server.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          Authorization: `Bearer ${server.token}`,
          'Mcp-Session-Id': session,
          'Mcp-Protocol-Version': header,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }),
      })
      return { status: list.status, text: await list.text() }
    }
  }

  it('primes a stream by the version the session negotiated, whatever older version a request names', async () => {
    const post = await rawSession('2025-11-25')
    const { text } = await post('2025-03-26')
    expect(text.slice(0, 60)).toMatch(/^id: [\w-]+\.\d+\nretry: 1000\ndata: \n\n/)
    expect(text).toContain('"tools"')
  })

  it('sends no priming event to a session that negotiated a version older clients speak', async () => {
    const post = await rawSession('2025-03-26')
    const { text } = await post('2025-03-26')
    expect(text.slice(0, 60)).not.toMatch(/data: \n\n/)
    expect(text).toContain('"tools"')
  })

  it('still refuses a protocol version the server does not support', async () => {
    const post = await rawSession('2025-11-25')
    expect((await post('1999-01-01')).status).toBe(400)
  })

  it('refuses another session’s event id: Last-Event-ID replays only this session’s events', async () => {
    const open = async () => {
      const reply = await fetch(server.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          Authorization: `Bearer ${server.token}`,
        },
        body: JSON.stringify(initializeRequest('raw-resume')),
      })
      const text = await reply.text()
      return {
        session: reply.headers.get('mcp-session-id')!,
        lastEvent: /id: (\S+)\n(?![\s\S]*id: )/.exec(text)![1]!,
      }
    }
    const a = await open()
    const b = await open()
    const replay = await fetch(server.url, {
      headers: {
        Accept: 'text/event-stream',
        Authorization: `Bearer ${server.token}`,
        'Mcp-Session-Id': b.session,
        'Mcp-Protocol-Version': '2025-11-25',
        'Last-Event-ID': a.lastEvent,
      },
    })
    expect(replay.status).toBe(400)
    await replay.body?.cancel()
  })
})
