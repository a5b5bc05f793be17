import { DriftcoreError, type ErrorCode } from 'driftcore/api'

/** What a tool call on the service gave: the output, and its artifact when the gate kept one. */
export interface RemoteResult {
  output: unknown
  artifact?: string
  trace_id?: string
}

/**
 * Calls a tool on the driftcore service over MCP (Streamable HTTP at `<server>/mcp`) with the
 * official SDK client and the task token. The service's gate validates, decides, asks for
 * approval, runs and records the call: the pod decides nothing. A failure comes back as the
 * same DriftcoreError (code, message) the service raised.
 */
export async function callRemoteTool(
  server: string,
  token: string,
  client: string,
  tool: string,
  input: unknown,
): Promise<RemoteResult> {
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js')
  const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js')
  const url = new URL('/mcp', server)
  const mcp = new Client({ name: client, version: '1.0.0' })
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: { Origin: url.origin, Authorization: `Bearer ${token}` } },
  })
  try {
    await mcp.connect(transport)
    const result = await mcp.callTool({ name: tool, arguments: input as Record<string, unknown> })
    const meta = (result._meta ?? {}) as Record<string, unknown>
    const text = (result.content as { type: string; text?: string }[] | undefined)?.find(
      (c) => c.type === 'text',
    )?.text
    if (result.isError) {
      const e = (meta['driftcore/error'] ?? {}) as {
        code?: ErrorCode
        message?: string
        details?: Record<string, unknown>
      }
      throw new DriftcoreError(e.code ?? 'internal', e.message ?? text ?? `${tool} failed on the service`, {
        details: e.details ?? {},
      })
    }
    return {
      output: text === undefined ? null : (JSON.parse(text) as unknown),
      ...(typeof meta['driftcore/artifact'] === 'string' ? { artifact: meta['driftcore/artifact'] } : {}),
      ...(typeof meta['driftcore/trace_id'] === 'string' ? { trace_id: meta['driftcore/trace_id'] } : {}),
    }
  } finally {
    await transport.terminateSession().catch(() => undefined)
    await mcp.close().catch(() => undefined)
  }
}
