import { jsonSchema, type Kernel, type RiskTag, type ToolDescriptor } from 'driftcore/api'
import type { Resource, ResourceTemplate, Tool, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js'

/** What the server lists: the registry's tools and resources in MCP's shapes. */
export interface McpCatalog {
  tools: Tool[]
  resources: Resource[]
  templates: ResourceTemplate[]
  /** Tool ids whose output is an object, so results carry structuredContent. */
  structured: ReadonlySet<string>
}

// One catalog per kernel: the registry of a kernel never changes, so the JSON Schemas are
// computed once, not on every tools/list.
const catalogs = new WeakMap<object, McpCatalog>()

export function catalogOf(kernel: Pick<Kernel, 'registry'>): McpCatalog {
  const cached = catalogs.get(kernel.registry)
  if (cached) return cached
  const structured = new Set<string>()
  const tools = kernel.registry.tools().map((tool) => {
    const mcpTool = toMcpTool(tool)
    if (mcpTool.outputSchema) structured.add(tool.id)
    return mcpTool
  })
  const resources: Resource[] = []
  const templates: ResourceTemplate[] = []
  for (const r of kernel.registry.resources()) {
    const common = {
      name: r.name,
      ...(r.title ? { title: r.title } : {}),
      description: r.description,
      mimeType: r.mimeType,
      _meta: { 'driftcore/plugin': r.plugin },
    }
    if (r.template) templates.push({ uriTemplate: r.uri, ...common })
    else resources.push({ uri: r.uri, ...common })
  }
  const catalog = { tools, resources, templates, structured }
  catalogs.set(kernel.registry, catalog)
  return catalog
}

export function toMcpTool(tool: ToolDescriptor): Tool {
  const input = jsonSchema(tool.input, 'input')
  const output = jsonSchema(tool.output, 'output')
  return {
    name: tool.id,
    ...(tool.title ? { title: tool.title } : {}),
    description: tool.description,
    // MCP arguments are always an object; a tool whose input is not one cannot be called
    // over MCP, but it is still listed so the gate can say why.
    inputSchema: (input.type === 'object' ? input : { type: 'object' }) as Tool['inputSchema'],
    // structuredContent must be an object, so only object outputs get an outputSchema.
    ...(output.type === 'object' ? { outputSchema: output as Tool['outputSchema'] } : {}),
    annotations: toolAnnotations(tool.risk, tool.title, tool.idempotent),
    _meta: {
      'driftcore/plugin': tool.plugin,
      'driftcore/capability': tool.capability,
      'driftcore/risk': tool.risk,
      'driftcore/requires': tool.requires ?? [],
    },
  }
}

/**
 * Hints for clients, derived from the risk tags a tool declares. They are hints: policy, not
 * the client, decides what runs.
 */
export function toolAnnotations(
  risk: readonly RiskTag[],
  title?: string,
  idempotent?: boolean,
): ToolAnnotations {
  const readOnly = risk.length > 0 && risk.every((tag) => tag === 'read')
  return {
    ...(title ? { title } : {}),
    readOnlyHint: readOnly,
    destructiveHint: !readOnly && risk.some((tag) => tag === 'write' || tag === 'exec' || tag === 'prod'),
    idempotentHint: readOnly || idempotent === true,
    openWorldHint: risk.includes('network'),
  }
}

/** Which lists changed between two catalogs (what list_changed notifications to send). */
export function catalogChanges(
  before: McpCatalog,
  after: McpCatalog,
): { tools: boolean; resources: boolean } {
  return {
    tools: JSON.stringify(before.tools) !== JSON.stringify(after.tools),
    resources:
      JSON.stringify([before.resources, before.templates]) !==
      JSON.stringify([after.resources, after.templates]),
  }
}
