import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import type { Tool } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'

export const CATALOG_FORMAT = 'driftcore-mcp-catalog/1'

export interface CatalogTool {
  name: string
  title?: string
  description?: string
  inputSchema: Record<string, unknown>
  outputSchema?: Record<string, unknown>
  annotations?: Record<string, unknown>
}

/**
 * The contract a server offers: what generated code and scripts depend on. Volatile facts
 * (versions, `_meta`, instructions) are left out, so a snapshot changes only when the contract
 * does.
 */
export interface Catalog {
  format: typeof CATALOG_FORMAT
  tools: CatalogTool[]
  resources: { uri: string; name: string; mimeType?: string }[]
  resourceTemplates: { uriTemplate: string; name: string; mimeType?: string }[]
  prompts: { name: string; arguments: { name: string; required: boolean }[] }[]
}

const schema = z.record(z.string(), z.unknown())

/** Validates a snapshot read from a file (sdk check). */
export const catalogSchema: z.ZodType<Catalog> = z.object({
  format: z.literal(CATALOG_FORMAT),
  tools: z.array(
    z.object({
      name: z.string(),
      title: z.string().optional(),
      description: z.string().optional(),
      inputSchema: schema,
      outputSchema: schema.optional(),
      annotations: schema.optional(),
    }),
  ),
  resources: z.array(z.object({ uri: z.string(), name: z.string(), mimeType: z.string().optional() })),
  resourceTemplates: z.array(
    z.object({ uriTemplate: z.string(), name: z.string(), mimeType: z.string().optional() }),
  ),
  prompts: z.array(
    z.object({ name: z.string(), arguments: z.array(z.object({ name: z.string(), required: z.boolean() })) }),
  ),
})

/** Reads the whole catalog from a connected client, following pagination. */
export async function fetchCatalog(client: Client): Promise<Catalog> {
  const caps = client.getServerCapabilities() ?? {}
  const tools = caps.tools
    ? await all(
        (cursor) => client.listTools({ cursor }),
        (r) => r.tools,
      )
    : []
  const resources = caps.resources
    ? await all(
        (cursor) => client.listResources({ cursor }),
        (r) => r.resources,
      )
    : []
  const templates = caps.resources
    ? await all(
        (cursor) => client.listResourceTemplates({ cursor }),
        (r) => r.resourceTemplates,
      )
    : []
  const prompts = caps.prompts
    ? await all(
        (cursor) => client.listPrompts({ cursor }),
        (r) => r.prompts,
      )
    : []
  return {
    format: CATALOG_FORMAT,
    tools: tools.map(catalogTool).sort(byName),
    resources: resources
      .map((r) => ({ uri: r.uri, name: r.name, ...(r.mimeType ? { mimeType: r.mimeType } : {}) }))
      .sort((a, b) => a.uri.localeCompare(b.uri)),
    resourceTemplates: templates
      .map((t) => ({
        uriTemplate: t.uriTemplate,
        name: t.name,
        ...(t.mimeType ? { mimeType: t.mimeType } : {}),
      }))
      .sort((a, b) => a.uriTemplate.localeCompare(b.uriTemplate)),
    prompts: prompts
      .map((p) => ({
        name: p.name,
        arguments: (p.arguments ?? []).map((a) => ({ name: a.name, required: a.required === true })),
      }))
      .sort(byName),
  }
}

function catalogTool(tool: Tool): CatalogTool {
  const { $schema: _in, ...inputSchema } = tool.inputSchema as Record<string, unknown>
  const output = tool.outputSchema as Record<string, unknown> | undefined
  const { $schema: _out, ...outputSchema } = output ?? {}
  return {
    name: tool.name,
    ...(tool.title ? { title: tool.title } : {}),
    ...(tool.description ? { description: tool.description } : {}),
    inputSchema,
    ...(output ? { outputSchema } : {}),
    ...(tool.annotations ? { annotations: tool.annotations } : {}),
  }
}

async function all<R extends { nextCursor?: string | undefined }, T>(
  page: (cursor: string | undefined) => Promise<R>,
  items: (result: R) => T[],
): Promise<T[]> {
  const out: T[] = []
  let cursor: string | undefined
  do {
    const result = await page(cursor)
    out.push(...items(result))
    cursor = result.nextCursor
  } while (cursor)
  return out
}

function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name.localeCompare(b.name)
}
