import type { ContentBlock as PluginBlock, Kernel } from 'driftcore/api'
import { ContentBlockSchema, type ContentBlock } from '@modelcontextprotocol/sdk/types.js'

/**
 * A plugin's content blocks (a tool's `content`, a prompt's messages) as MCP content: artifact
 * refs read from the artifact store and base64-encoded, text redacted like any output, and
 * every block checked against the spec's schema. A block that is not valid is left out with a
 * warning naming the tool or prompt, so a plugin bug never costs the caller the result.
 */
export async function toMcpContent(
  kernel: Kernel,
  owner: string,
  blocks: readonly PluginBlock[],
): Promise<ContentBlock[]> {
  const out: ContentBlock[] = []
  for (const block of blocks) {
    try {
      const parsed = ContentBlockSchema.safeParse(await resolve(kernel, block))
      if (parsed.success) out.push(parsed.data)
      else
        kernel.logger.warn(
          `${owner}: a content block is not valid MCP content and is left out: ${parsed.error.message}`,
        )
    } catch (error) {
      kernel.logger.warn(`${owner}: a content block is left out: ${(error as Error).message}`)
    }
  }
  return out
}

/** A tool's own content blocks for this output; none when it has no `content`, or it fails. */
export async function toolContent(kernel: Kernel, toolId: string, output: unknown): Promise<ContentBlock[]> {
  const tool = kernel.registry.tool(toolId)
  if (typeof tool.content !== 'function') return []
  let blocks: unknown
  try {
    blocks = tool.content(output)
  } catch (error) {
    kernel.logger.warn(
      `${toolId}: its content() failed, so the result has its JSON only: ${(error as Error).message}`,
    )
    return []
  }
  if (!Array.isArray(blocks)) {
    kernel.logger.warn(`${toolId}: its content() returned no list, so the result has its JSON only`)
    return []
  }
  return toMcpContent(kernel, toolId, blocks as PluginBlock[])
}

async function resolve(kernel: Kernel, block: PluginBlock): Promise<unknown> {
  const redact = (text: string) => kernel.redactor.redactText(text)
  const bytes = async (b: { data?: string; artifact?: string }) =>
    b.artifact === undefined ? b.data : (await kernel.artifacts.get(b.artifact)).toString('base64')
  switch (block?.type) {
    case 'text':
      return { type: 'text', text: redact(String(block.text)) }
    case 'image':
    case 'audio':
      return { type: block.type, mimeType: block.mimeType, data: await bytes(block) }
    case 'resource': {
      const base = { uri: block.uri, ...(block.mimeType ? { mimeType: block.mimeType } : {}) }
      const resource =
        block.text !== undefined
          ? { ...base, text: redact(block.text) }
          : { ...base, blob: await bytes(block) }
      return { type: 'resource', resource }
    }
    case 'resource_link': {
      const { type: _type, ...link } = block
      return { type: 'resource_link', ...link }
    }
    default:
      return block
  }
}
