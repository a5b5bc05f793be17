import type { Kernel } from 'driftcore/api'
import { ErrorCode, McpError, type GetPromptResult, type Prompt } from '@modelcontextprotocol/sdk/types.js'
import { toMcpContent } from './content.js'

type PromptDescriptor = ReturnType<Kernel['registry']['prompts']>[number]

/** A plugin prompt as prompts/list shows it (its suggestions stay for completion/complete). */
export function pluginPromptEntry(prompt: PromptDescriptor): Prompt {
  return {
    name: prompt.name,
    ...(prompt.title ? { title: prompt.title } : {}),
    description: prompt.description,
    ...(prompt.arguments ? { arguments: prompt.arguments.map(({ suggest: _suggest, ...a }) => a) } : {}),
  }
}

/**
 * prompts/get of a plugin's prompt: rendered by the plugin, each message's content made MCP
 * content (artifacts read, text redacted; an invalid block leaves its message out, with a
 * warning). A required argument left out is invalid params, as the spec asks; a render that
 * fails is an internal error naming the plugin.
 */
export async function getPluginPrompt(
  kernel: Kernel,
  prompt: PromptDescriptor,
  args: Record<string, string>,
): Promise<GetPromptResult> {
  const missing = (prompt.arguments ?? []).filter((a) => a.required && !args[a.name]).map((a) => a.name)
  if (missing.length > 0)
    throw new McpError(
      ErrorCode.InvalidParams,
      `prompt ${prompt.name} needs the argument(s) ${missing.join(', ')}`,
    )
  let messages
  try {
    messages = await kernel.registry.renderPrompt(prompt.name, args, {
      tools: kernel.registry.tools().map((t) => t.id),
      resources: kernel.registry.resources().map((r) => r.uri),
      config: kernel.config.values,
    })
  } catch (error) {
    throw new McpError(ErrorCode.InternalError, kernel.redactor.redactText((error as Error).message))
  }
  const out: GetPromptResult['messages'] = []
  for (const message of messages) {
    const [content] = await toMcpContent(kernel, prompt.name, [message.content])
    if (content) out.push({ role: message.role === 'assistant' ? 'assistant' : 'user', content })
  }
  return { description: prompt.description, messages: out }
}
