import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { Protocol } from '@modelcontextprotocol/sdk/shared/protocol.js'
import { callTool } from './call-tool.js'
import { catalogOf } from './catalog.js'
import { getPluginPrompt } from './plugin-prompts.js'
import { complete, getPrompt, listPrompts } from './prompts.js'
import { readResource, resourceExists } from './resources.js'
import type { McpSession } from './session.js'

/** Wires every MCP method the server answers to the live kernel; none reaches a handler but through the gate. */
export function registerHandlers(session: McpSession): void {
  const { server, host } = session
  const catalog = () => catalogOf(host.options.live.current())

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: catalog().tools }))
  // Registered as the base protocol does it, not through Server's override for tools/call: that
  // one parses the request a second time and every result with CallToolResultSchema (a zod walk
  // of each content block, structuredContent and _meta, the largest single cost of a call's
  // answer). The request is still parsed once here; the results are built by results.ts from
  // checked parts (content blocks pass ContentBlockSchema in content.ts), and the official
  // client, which every MCP test drives, parses each one with the same schema.
  const register = Protocol.prototype.setRequestHandler.bind(server) as typeof server.setRequestHandler
  register(CallToolRequestSchema, (request, extra) => callTool(session, request, extra))
  server.setRequestHandler(ListResourcesRequestSchema, () => ({ resources: catalog().resources }))
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: catalog().templates,
  }))
  server.setRequestHandler(ReadResourceRequestSchema, (request) => readResource(session, request.params.uri))
  server.setRequestHandler(SubscribeRequestSchema, (request) => {
    resourceExists(host.options.live.current(), request.params.uri)
    session.subscriptions.add(request.params.uri)
    return {}
  })
  server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
    session.subscriptions.delete(request.params.uri)
    return {}
  })
  server.setRequestHandler(CompleteRequestSchema, (request) =>
    complete(request.params, host.options.live.current().registry),
  )
  server.setRequestHandler(ListPromptsRequestSchema, () => ({
    prompts: listPrompts(host.options.live.current().registry),
  }))
  server.setRequestHandler(GetPromptRequestSchema, (request) => {
    const kernel = host.options.live.current()
    const { name, arguments: args = {} } = request.params
    const plugin = kernel.registry.prompts().find((p) => p.name === name)
    if (!plugin) return getPrompt(name, args, kernel.registry)
    // Held while it renders, so a reload meanwhile does not close the kernel under it.
    return host.options.live.use((held) => getPluginPrompt(held, plugin, args))
  })
  // Replaces the SDK's own handler so the session knows the level for per-call logs too.
  server.setRequestHandler(SetLevelRequestSchema, (request) => {
    session.level = request.params.level
    return {}
  })
}
