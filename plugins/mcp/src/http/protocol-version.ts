import type { IncomingMessage } from 'node:http'
import {
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  isInitializeRequest,
  type JSONRPCMessage,
} from '@modelcontextprotocol/sdk/types.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'

/** The first version whose clients accept an SSE event with empty data (the priming event). */
const PRIMING_SINCE = '2025-11-25'
const HEADER = 'mcp-protocol-version'

/**
 * Calls `record` with the version the SDK server answers this transport's initialize with
 * (the one asked for when supported, else the latest, as the SDK's Server does). Set before
 * `server.connect(transport)`: the SDK chains a handler it finds there.
 */
export function onNegotiated(transport: Transport, record: (version: string) => void): void {
  const previous = transport.onmessage
  transport.onmessage = (message: JSONRPCMessage, extra) => {
    if (isInitializeRequest(message)) {
      const asked = message.params.protocolVersion
      record(SUPPORTED_PROTOCOL_VERSIONS.includes(asked) ? asked : LATEST_PROTOCOL_VERSION)
    }
    previous?.(message, extra)
  }
}

/**
 * The SDK (1.32) decides whether a stream gets a priming event (an event id and `retry` before
 * any data, what makes it resumable) and whether a handler may close it early, from the
 * request's MCP-Protocol-Version header alone. A client that negotiated 2025-11-25 or later can
 * read such events whatever older version one request names (the conformance suite's raw
 * requests say 2025-03-26), so such a header is raised to the negotiated version. An
 * unsupported version is left as it is, for the SDK to refuse with 400; a session that
 * negotiated an older version keeps its header, and gets no priming event it could not parse.
 */
export function atNegotiatedVersion(req: IncomingMessage, negotiated: string | undefined): void {
  if (negotiated === undefined || negotiated < PRIMING_SINCE) return
  const named = req.headers[HEADER]
  if (typeof named !== 'string' || !SUPPORTED_PROTOCOL_VERSIONS.includes(named) || named >= negotiated) return
  req.headers[HEADER] = negotiated
  // The SDK's Node adapter (@hono/node-server) builds the web Request from rawHeaders.
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    if (req.rawHeaders[i]!.toLowerCase() === HEADER) req.rawHeaders[i + 1] = negotiated
}
