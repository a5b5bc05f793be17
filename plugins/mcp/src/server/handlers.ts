import {
  CallToolRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { callTool } from './call-tool.js'
import { catalogOf } from './catalog.js'
import { getPrompt, listPrompts } from './prompts.js'
import { readResource } from './resources.js'
import type { McpSession } from './session.js'

/** Wires every MCP method the server answers to the live kernel; none reaches a handler but through the gate. */
export function registerHandlers(session: McpSession): void {
  const { server, host } = session
  const catalog = () => catalogOf(host.options.live.current())

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: catalog().tools }))
  server.setRequestHandler(CallToolRequestSchema, (request, extra) => callTool(session, request, extra))
  server.setRequestHandler(ListResourcesRequestSchema, () => ({ resources: catalog().resources }))
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: catalog().templates,
  }))
  server.setRequestHandler(ReadResourceRequestSchema, (request) => readResource(session, request.params.uri))
  server.setRequestHandler(ListPromptsRequestSchema, () => ({ prompts: listPrompts() }))
  server.setRequestHandler(GetPromptRequestSchema, (request) =>
    getPrompt(request.params.name, request.params.arguments ?? {}, host.options.live.current().registry),
  )
  // Replaces the SDK's own handler so the session knows the level for per-call logs too.
  server.setRequestHandler(SetLevelRequestSchema, (request) => {
    session.level = request.params.level
    return {}
  })
}
