import { z } from 'zod'
import { DriftcoreError } from '../errors/driftcore-error.js'
import type {
  Capabilities,
  ResourceDefinition,
  ToolContext,
  ToolDefinition,
  ResourceContext,
  ResourceContent,
} from './types.js'

/** A tool as everyone but the gate sees it: its contract, without its handler. */
export type ToolDescriptor = Omit<ToolDefinition, 'run' | 'locks'> & { plugin: string }
export type ResourceDescriptor = Omit<ResourceDefinition, 'read'> & { plugin: string; template: boolean }

export interface Contribution {
  plugin: string
  capabilities: Capabilities
}

type ToolHandler = (input: unknown, ctx: ToolContext) => Promise<unknown>
type ResourceReader = (params: Record<string, string>, ctx: ResourceContext) => Promise<ResourceContent>

/**
 * Handlers, kept apart from the descriptors. Only the kernel holds this table, and it hands it
 * to the gate alone: no command, plugin or step can reach a handler except through `invoke`.
 */
export interface HandlerTable {
  tool(id: string): { run: ToolHandler; locks: ToolDefinition['locks'] }
  resource(uri: string): ResourceReader
}

const TOOL_ID = /^[a-z][a-zA-Z0-9]*(\.[a-z][a-zA-Z0-9]*)+$/
const RISKS = new Set(['read', 'write', 'exec', 'network', 'secrets', 'prod'])

export class Registry {
  private readonly toolMap = new Map<string, ToolDescriptor>()
  private readonly resourceMap = new Map<string, ResourceDescriptor>()
  private readonly sections: Record<string, z.ZodType> = {}
  private readonly sectionOwner = new Map<string, string>()

  private constructor() {}

  /** Builds the registry and its handler table from every plugin's contribution. */
  static create(contributions: readonly Contribution[]): { registry: Registry; handlers: HandlerTable } {
    const registry = new Registry()
    const runs = new Map<string, { run: ToolHandler; locks: ToolDefinition['locks'] }>()
    const reads = new Map<string, ResourceReader>()
    for (const { plugin, capabilities } of contributions) {
      for (const tool of capabilities.tools ?? []) {
        registry.checkTool(tool, plugin)
        registry.toolMap.set(tool.id, Object.freeze({ ...without(tool, ['run', 'locks']), plugin }))
        runs.set(tool.id, {
          run: (input, ctx) => tool.run(input, ctx),
          locks: tool.locks ? (input) => tool.locks!(input) : undefined,
        })
      }
      for (const resource of capabilities.resources ?? []) {
        const prior = registry.resourceMap.get(resource.uri)
        if (prior) throw duplicate('resource', resource.uri, prior.plugin, plugin)
        const template = /\{[^}]+\}/.test(resource.uri)
        registry.resourceMap.set(
          resource.uri,
          Object.freeze({ ...without(resource, ['read']), plugin, template }),
        )
        reads.set(resource.uri, (params, ctx) => resource.read(params, ctx))
      }
      for (const [section, schema] of Object.entries(capabilities.config ?? {})) {
        const prior = registry.sectionOwner.get(section)
        if (prior) throw duplicate('config section', section, prior, plugin)
        registry.sectionOwner.set(section, plugin)
        registry.sections[section] = schema
      }
    }
    const handlers: HandlerTable = {
      tool: (id) => {
        const handler = runs.get(id)
        if (handler) return handler
        registry.tool(id) // throws not_found, with suggestions
        throw new DriftcoreError('internal', `tool ${id} has no handler`)
      },
      resource: (uri) => {
        const read = reads.get(uri)
        if (!read) throw new DriftcoreError('not_found', `no resource ${uri}`)
        return read
      },
    }
    return { registry, handlers }
  }

  tools(): ToolDescriptor[] {
    return [...this.toolMap.values()].sort((a, b) => a.id.localeCompare(b.id))
  }

  tool(id: string): ToolDescriptor {
    const tool = this.toolMap.get(id)
    if (tool) return tool
    const near = [...this.toolMap.keys()]
      .filter((t) => t.split('.')[0] === id.split('.')[0] || t.includes(id))
      .slice(0, 5)
    throw new DriftcoreError('not_found', `unknown tool "${id}"`, {
      hint: near.length > 0 ? `did you mean ${near.join(', ')}?` : 'list tools with `driftcore tools list`',
    })
  }

  resources(): ResourceDescriptor[] {
    return [...this.resourceMap.values()].sort((a, b) => a.uri.localeCompare(b.uri))
  }

  /** Finds the resource (or template) serving a URI, with the template's parameters. */
  matchResource(uri: string): { resource: ResourceDescriptor; params: Record<string, string> } {
    const exact = this.resourceMap.get(uri)
    if (exact) return { resource: exact, params: {} }
    for (const resource of this.resourceMap.values()) {
      if (!resource.template) continue
      const names: string[] = []
      const pattern = resource.uri
        .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
        .replace(/\\?\{([^}]+)\\?\}/g, (_m, name: string) => {
          names.push(name)
          return '([^/]+)'
        })
      const match = new RegExp(`^${pattern}$`).exec(uri)
      if (match)
        return {
          resource,
          params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(match[i + 1]!)])),
        }
    }
    throw new DriftcoreError('not_found', `no resource matches ${uri}`, {
      hint: 'list them with `driftcore resources list`',
    })
  }

  configSections(): Record<string, z.ZodType> {
    return { ...this.sections }
  }

  /** JSON Schemas of a tool's input and output, as MCP and `tools describe` show them. */
  static jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
    return z.toJSONSchema(schema, { io, unrepresentable: 'any' })
  }

  private checkTool(tool: ToolDefinition, plugin: string): void {
    const prior = this.toolMap.get(tool.id)
    if (prior) throw duplicate('tool', tool.id, prior.plugin, plugin)
    const problems: string[] = []
    if (!TOOL_ID.test(tool.id))
      problems.push('id must look like plugin.verb (letters and digits, dot-separated)')
    if (!tool.description) problems.push('description is required')
    if (!tool.capability) problems.push('capability is required')
    if (!Array.isArray(tool.risk) || tool.risk.length === 0) problems.push('risk needs at least one tag')
    for (const tag of tool.risk ?? []) if (!RISKS.has(tag)) problems.push(`unknown risk tag "${tag}"`)
    if (typeof tool.run !== 'function') problems.push('run must be a function')
    if (!isZod(tool.input) || !isZod(tool.output)) problems.push('input and output must be zod schemas')
    if (problems.length > 0) {
      throw new DriftcoreError(
        'invalid_input',
        `plugin ${plugin} contributes an invalid tool "${tool.id}": ${problems.join('; ')}`,
      )
    }
  }
}

function without<T extends object, K extends keyof T>(value: T, keys: K[]): Omit<T, K> {
  const copy = { ...value }
  for (const key of keys) delete copy[key]
  return copy
}

function isZod(value: unknown): value is z.ZodType {
  return value !== null && typeof value === 'object' && typeof (value as z.ZodType).safeParse === 'function'
}

function duplicate(kind: string, id: string, first: string, second: string): DriftcoreError {
  return new DriftcoreError('conflict', `${kind} "${id}" is contributed by both ${first} and ${second}`, {
    hint: `uninstall one of them: driftcore plugins uninstall ${second}`,
  })
}
