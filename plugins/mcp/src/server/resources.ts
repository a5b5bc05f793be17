import { isDriftcoreError, type Kernel } from 'driftcore/api'
import { ErrorCode, McpError, type ReadResourceResult } from '@modelcontextprotocol/sdk/types.js'
import type { McpSession } from './session.js'

// JSON-RPC code the MCP spec gives "resource not found".
const RESOURCE_NOT_FOUND = -32002

/** resources/read through the gate (decided and recorded like a read-only tool call). */
export async function readResource(session: McpSession, uri: string): Promise<ReadResourceResult> {
  return session.host.options.live.use(async (kernel) => {
    try {
      const { resource } = kernel.registry.matchResource(uri)
      const content = await kernel.gate.read(uri, session.actor(), { identity: session.identity() })
      const mimeType = content.mimeType ?? resource.mimeType
      const body = content.text !== undefined ? { text: content.text } : { blob: content.data }
      return { contents: [{ uri, mimeType, ...body }] }
    } catch (error) {
      if (!isDriftcoreError(error)) throw error
      const message = kernel.redactor.redactText(error.message)
      const data = { code: error.code, ...(error.hint ? { hint: error.hint } : {}) }
      if (error.code === 'not_found') throw new McpError(RESOURCE_NOT_FOUND, message, { uri, ...data })
      if (error.code === 'invalid_input') throw new McpError(ErrorCode.InvalidParams, message, data)
      if (error.code === 'policy_denied') throw new McpError(ErrorCode.InvalidRequest, message, data)
      throw new McpError(ErrorCode.InternalError, message, data)
    }
  })
}

/** Throws the spec's "resource not found" unless a registered resource or template serves `uri`. */
export function resourceExists(kernel: Kernel, uri: string): void {
  try {
    kernel.registry.matchResource(uri)
  } catch (error) {
    if (!isDriftcoreError(error, 'not_found')) throw error
    throw new McpError(RESOURCE_NOT_FOUND, kernel.redactor.redactText(error.message), { uri })
  }
}
