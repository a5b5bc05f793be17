import { z } from 'zod'
import { coreConfigSections } from '../config/schema.js'
import { DriftcoreError, toDriftcoreError } from '../errors/driftcore-error.js'
import { CORE_CLAIMS, pluginClaims, reservedByCore, type PluginClaims } from './claims.js'
import { definedName, issueContext } from './define.js'
import { checkPrompt } from './prompts.js'
import { claimedTwice, duplicate, outsidePrefixes, reexported, refusal, removeHint } from './refusals.js'
import type {
  RemoteExecutorDefinition,
  Capabilities,
  PromptContext,
  PromptDefinition,
  PromptMessage,
  ResourceDefinition,
  ToolContext,
  ToolDefinition,
  ResourceContext,
  ResourceContent,
} from './types.js'

/** A tool as everyone but the gate sees it: its contract, without its handler. */
export type ToolDescriptor = Omit<ToolDefinition, 'run' | 'locks' | 'input' | 'output'> & {
  plugin: string
  input: z.ZodType
  output: z.ZodType
}

/**
 * When tool schemas given as functions are built. `now`: while the registry is made, so a
 * plugin whose function fails is refused as a whole, like any other bad contribution. `on-use`:
 * the first time a schema is read, for a process that calls one tool of the shipped plugins
 * (the direct `tools call` entry), where building every other tool's schemas was a fifth of
 * its start-up; a function that fails then fails that use, naming the plugin.
 */
export type SchemaBuild = 'now' | 'on-use'
export type ResourceDescriptor = Omit<ResourceDefinition, 'read'> & { plugin: string; template: boolean }
export type PromptDescriptor = Omit<PromptDefinition, 'render'> & { plugin: string }

export interface Contribution {
  plugin: string
  capabilities: Capabilities
  /** The names it owns; otherwise read from `packageJson` (see `pluginClaims`). */
  claims?: PluginClaims
  packageJson?: { driftcore?: unknown }
  /** The host itself (oclif's root plugin): it owns CORE_CLAIMS. */
  core?: boolean
  /** Its capabilities hook failed: the plugin is refused with this error. */
  error?: DriftcoreError
}

/** A plugin the registry accepted: what it owns and what it contributes. */
export interface PluginSummary {
  plugin: string
  prefixes: string[]
  resourcePrefixes: string[]
  tools: string[]
  resources: string[]
  prompts: string[]
  sections: string[]
}

/** A plugin the registry refused as a whole; none of its tools, resources or sections count. */
export interface RefusedPlugin {
  plugin: string
  error: DriftcoreError
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
  private readonly promptMap = new Map<string, PromptDescriptor>()
  private readonly renders = new Map<string, PromptDefinition['render']>()
  private readonly sections: Record<string, z.ZodType> = {}
  private sectionsView: Readonly<Record<string, z.ZodType>> | undefined
  private readonly sectionOwner = new Map<string, string>()
  private readonly prefixOwner = new Map<string, string>()
  private readonly resourcePrefixOwner = new Map<string, string>()
  // Every definition, handler and schema object seen, and the tool or resource it came with.
  private readonly objectOwner = new Map<unknown, { plugin: string; name: string }>()
  private readonly executorMap = new Map<string, RemoteExecutorDefinition & { plugin: string }>()
  private readonly accepted: PluginSummary[] = []
  private readonly refusals: RefusedPlugin[] = []

  private constructor() {}

  /**
   * Builds the registry and its handler table from every plugin's contribution, in oclif's
   * plugin order (the host, then bundled, user and linked plugins). A plugin with any problem
   * is refused as a whole and listed by `refused()`, so one bad plugin never takes the other
   * plugins' tools away; the first plugin to own a name or an object keeps it.
   */
  static create(
    contributions: readonly Contribution[],
    options: { schemas?: SchemaBuild } = {},
  ): { registry: Registry; handlers: HandlerTable } {
    const registry = new Registry()
    const build = options.schemas ?? 'now'
    const runs = new Map<string, { run: ToolHandler; locks: ToolDefinition['locks'] }>()
    const reads = new Map<string, ResourceReader>()
    for (const contribution of contributions) {
      let admitted: Admitted
      try {
        admitted = registry.admit(contribution, build)
      } catch (error) {
        registry.refusals.push({ plugin: contribution.plugin, error: toDriftcoreError(error) })
        continue
      }
      const { plugin, claims, tools, schemas, resources, prompts, sections, executors } = admitted
      for (const executor of executors)
        registry.executorMap.set(executor.id, Object.freeze({ ...executor, plugin }))
      for (const tool of tools) {
        const { input, output } = schemas.get(tool)!
        registry.toolMap.set(
          tool.id,
          Object.freeze({
            ...without(tool, ['run', 'locks', 'input', 'output']),
            plugin,
            get input() {
              return input()
            },
            get output() {
              return output()
            },
          }),
        )
        runs.set(tool.id, {
          // The context is marked as this tool's, so a handler made by defineTool runs only here.
          run: (input, ctx) => {
            issueContext(ctx, tool.id)
            return tool.run(input, ctx)
          },
          locks: tool.locks ? (input) => tool.locks!(input) : undefined,
        })
        const owned = toolParts(tool).map(([, object]) => object)
        if (build === 'now') owned.push(input(), output())
        for (const object of owned) if (object) registry.objectOwner.set(object, { plugin, name: tool.id })
      }
      for (const resource of resources) {
        const template = /\{[^}]+\}/.test(resource.uri)
        registry.resourceMap.set(
          resource.uri,
          Object.freeze({ ...without(resource, ['read']), plugin, template }),
        )
        reads.set(resource.uri, (params, ctx) => {
          issueContext(ctx, resource.uri)
          return resource.read(params, ctx)
        })
        for (const [, object] of resourceParts(resource))
          registry.objectOwner.set(object, { plugin, name: resource.uri })
      }
      for (const prompt of prompts) {
        registry.promptMap.set(prompt.name, Object.freeze({ ...without(prompt, ['render']), plugin }))
        registry.renders.set(prompt.name, (args, ctx) => prompt.render.call(prompt, args, ctx))
        for (const object of [prompt, prompt.render])
          registry.objectOwner.set(object, { plugin, name: prompt.name })
      }
      for (const [section, schema] of sections) {
        registry.sectionOwner.set(section, plugin)
        registry.sections[section] = schema
        registry.sectionsView = undefined
      }
      for (const prefix of claims.prefixes) registry.prefixOwner.set(prefix, plugin)
      for (const prefix of claims.resources) registry.resourcePrefixOwner.set(prefix, plugin)
      registry.accepted.push({
        plugin,
        prefixes: [...claims.prefixes],
        resourcePrefixes: [...claims.resources],
        tools: tools.map((t) => t.id),
        resources: resources.map((r) => r.uri),
        prompts: prompts.map((p) => p.name),
        sections: sections.map(([name]) => name),
      })
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

  /** The plugins accepted, with the prefixes they own and what they contribute. */
  plugins(): PluginSummary[] {
    return this.accepted.map((p) => ({ ...p }))
  }

  /** The plugins refused, each with the error that says why and how to fix it. */
  refused(): RefusedPlugin[] {
    return [...this.refusals]
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

  prompts(): PromptDescriptor[] {
    return [...this.promptMap.values()].sort((a, b) => a.name.localeCompare(b.name))
  }

  /**
   * A plugin prompt's messages for these arguments. Rendering runs no tool and reaches nothing
   * but its arguments and context; a render that throws is reported as the plugin's fault.
   */
  async renderPrompt(
    name: string,
    args: Record<string, string>,
    ctx: PromptContext,
  ): Promise<PromptMessage[]> {
    const render = this.renders.get(name)
    const prompt = this.promptMap.get(name)
    if (!render || !prompt) throw new DriftcoreError('not_found', `no prompt ${name}`)
    let rendered: string | PromptMessage[]
    try {
      rendered = await render(args, ctx)
    } catch (error) {
      throw new DriftcoreError(
        'internal',
        `prompt ${name} of ${prompt.plugin} failed: ${(error as Error).message}`,
        {
          cause: error,
        },
      )
    }
    if (typeof rendered === 'string') return [{ role: 'user', content: { type: 'text', text: rendered } }]
    if (!Array.isArray(rendered))
      throw new DriftcoreError('internal', `prompt ${name} of ${prompt.plugin} rendered no messages`)
    return rendered
  }

  /** The engine `workflow run --on <id>` hands a run to. */
  executor(id: string): RemoteExecutorDefinition & { plugin: string } {
    const executor = this.executorMap.get(id)
    if (executor) return executor
    const known = [...this.executorMap.keys()]
    throw new DriftcoreError('not_found', `no executor "${id}": no installed plugin runs workflows there`, {
      hint:
        known.length > 0
          ? `--on takes local or ${known.join(', ')}`
          : 'only --on local is available; install the plugin for that engine (e.g. @driftcore/plugin-tekton)',
    })
  }

  /** The config sections plugins contribute; the same frozen object until one is added, so the
   * config schema built from it is built once. */
  configSections(): Readonly<Record<string, z.ZodType>> {
    return (this.sectionsView ??= Object.freeze({ ...this.sections }))
  }

  /** JSON Schemas of a tool's input and output, as MCP and `tools describe` show them. */
  static jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
    return z.toJSONSchema(schema, { io, unrepresentable: 'any' })
  }

  // Checks everything a plugin contributes before any of it counts.
  private admit(contribution: Contribution, build: SchemaBuild): Admitted {
    const { plugin } = contribution
    if (contribution.error) throw contribution.error
    const claims =
      contribution.claims ??
      (contribution.core ? CORE_CLAIMS : pluginClaims(plugin, contribution.packageJson))
    const core = claims === CORE_CLAIMS
    for (const prefix of claims.prefixes) {
      if (!core && reservedByCore(prefix))
        throw refusal(plugin, `prefix "${prefix}" belongs to driftcore itself`)
      const owner = this.prefixOwner.get(prefix)
      if (owner && owner !== plugin) throw claimedTwice('prefix', prefix, owner, plugin)
    }
    for (const prefix of claims.resources) {
      const owner = this.resourcePrefixOwner.get(prefix)
      if (owner && owner !== plugin) throw claimedTwice('resource prefix', prefix, owner, plugin)
    }
    const capabilities = contribution.capabilities as Capabilities | null | undefined
    if (capabilities === null || typeof capabilities !== 'object')
      throw refusal(plugin, 'its capabilities hook returned no {tools, resources, config} object')
    const tools = [...(capabilities.tools ?? [])]
    const resources = [...(capabilities.resources ?? [])]
    const sections = Object.entries(capabilities.config ?? {})
    const prompts = [...(capabilities.prompts ?? [])]
    const executors = [...(capabilities.executors ?? [])]
    for (const executor of executors) {
      if (
        typeof executor?.id !== 'string' ||
        typeof executor.submit !== 'function' ||
        typeof executor.poll !== 'function' ||
        typeof executor.cancel !== 'function'
      )
        throw refusal(plugin, 'an executor needs an id and submit, poll and cancel functions')
      const prior = this.executorMap.get(executor.id)
      if (prior) throw duplicate('executor', executor.id, prior.plugin, plugin)
      if (!claims.prefixes.includes(executor.id))
        throw outsidePrefixes(plugin, `executor "${executor.id}"`, claims.prefixes, '')
    }
    const ids = new Set<string>()
    const schemas = new Map<ToolDefinition, ToolSchemas>()
    for (const tool of tools) {
      this.checkTool(tool, plugin)
      const built = { input: schemaOf(plugin, tool, 'input'), output: schemaOf(plugin, tool, 'output') }
      schemas.set(tool, built)
      const prior = this.toolMap.get(tool.id)
      if (prior || ids.has(tool.id)) throw duplicate('tool', tool.id, prior?.plugin ?? plugin, plugin)
      ids.add(tool.id)
      if (!claims.prefixes.includes(tool.id.split('.')[0]!))
        throw outsidePrefixes(plugin, `tool id "${tool.id}"`, claims.prefixes, '.')
      const parts = toolParts(tool)
      // Built now, the schemas a function returns must be this plugin's too.
      if (build === 'now')
        for (const part of ['input', 'output'] as const)
          if (typeof tool[part] === 'function') parts.push([`${part} schema`, built[part]()])
      this.checkOwnership(plugin, `tool ${tool.id}`, tool.id, definedName(parts[1]![1]), parts)
    }
    const uris = new Set<string>()
    for (const resource of resources) {
      this.checkResource(resource, plugin)
      const prior = this.resourceMap.get(resource.uri)
      if (prior || uris.has(resource.uri))
        throw duplicate('resource', resource.uri, prior?.plugin ?? plugin, plugin)
      uris.add(resource.uri)
      if (!claims.resources.includes(resourcePrefix(resource.uri) ?? ''))
        throw outsidePrefixes(plugin, `resource "${resource.uri}"`, claims.resources, '/')
      const parts = resourceParts(resource)
      this.checkOwnership(plugin, `resource ${resource.uri}`, resource.uri, definedName(parts[1]![1]), parts)
    }
    const promptNames = new Set<string>()
    for (const prompt of prompts) {
      checkPrompt(prompt, plugin)
      const prior = this.promptMap.get(prompt.name)
      if (prior || promptNames.has(prompt.name))
        throw duplicate('prompt', prompt.name, prior?.plugin ?? plugin, plugin)
      promptNames.add(prompt.name)
      if (!claims.prefixes.includes(prompt.name.split('.')[0]!))
        throw outsidePrefixes(plugin, `prompt "${prompt.name}"`, claims.prefixes, '.')
      this.checkOwnership(plugin, `prompt ${prompt.name}`, prompt.name, undefined, [
        ['definition', prompt],
        ['renderer', prompt.render],
      ])
    }
    for (const [section, schema] of sections) {
      if (Object.hasOwn(coreConfigSections, section))
        throw refusal(plugin, `config section "${section}" would replace driftcore's own`)
      const prior = this.sectionOwner.get(section)
      if (prior) throw duplicate('config section', section, prior, plugin)
      if (!core && !claims.prefixes.includes(section))
        throw outsidePrefixes(plugin, `config section "${section}"`, claims.prefixes, ':')
      if (!isZod(schema)) throw refusal(plugin, `config section "${section}" is not a zod schema`)
    }
    return { plugin, claims, tools, schemas, resources, prompts, sections, executors }
  }

  // A handler, schema or definition object belongs to the first plugin that contributed it, and
  // a handler made by defineTool to the one id it was made for: a plugin that imports another
  // plugin's definitions (or runs its hook) and contributes them under its own ids is refused.
  private checkOwnership(
    plugin: string,
    what: string,
    name: string,
    definedFor: string | undefined,
    objects: [string, unknown][],
  ): void {
    if (definedFor !== undefined && definedFor !== name)
      throw reexported(plugin, what, 'handler', definedFor, this.toolMap.get(definedFor)?.plugin)
    for (const [part, object] of objects) {
      const owner = object ? this.objectOwner.get(object) : undefined
      if (owner && owner.plugin !== plugin) throw reexported(plugin, what, part, owner.name, owner.plugin)
    }
  }

  private checkTool(tool: ToolDefinition, plugin: string): void {
    const problems: string[] = []
    if (tool === null || typeof tool !== 'object')
      throw refusal(plugin, 'its tools list holds something that is not a tool definition')
    if (typeof tool.id !== 'string' || !TOOL_ID.test(tool.id))
      problems.push('id must look like plugin.verb (letters and digits, dot-separated)')
    if (!tool.description) problems.push('description is required')
    if (!tool.capability) problems.push('capability is required')
    if (!Array.isArray(tool.risk) || tool.risk.length === 0) problems.push('risk needs at least one tag')
    for (const tag of Array.isArray(tool.risk) ? tool.risk : [])
      if (!RISKS.has(tag)) problems.push(`unknown risk tag "${tag}"`)
    if (typeof tool.run !== 'function') problems.push('run must be a function')
    if (tool.content !== undefined && typeof tool.content !== 'function')
      problems.push('content must be a function of the output')
    if (!isSchema(tool.input) || !isSchema(tool.output))
      problems.push('input and output must be zod schemas or functions that return one')
    if (problems.length > 0) {
      throw new DriftcoreError(
        'invalid_input',
        `plugin ${plugin} contributes an invalid tool "${String(tool.id)}": ${problems.join('; ')}`,
        { hint: removeHint(plugin) },
      )
    }
  }

  private checkResource(resource: ResourceDefinition, plugin: string): void {
    if (
      resource === null ||
      typeof resource !== 'object' ||
      typeof resource.uri !== 'string' ||
      typeof resource.read !== 'function'
    )
      throw refusal(
        plugin,
        'its resources list holds something that is not a resource definition (uri, read)',
      )
  }
}

/* eslint-disable @typescript-eslint/unbound-method -- handlers are compared by identity here, never called */
// The objects a definition is made of, which belong to the plugin that first contributed them.
function toolParts(tool: ToolDefinition): [string, unknown][] {
  return [
    ['definition', tool],
    ['handler', tool.run],
    ['locks', tool.locks],
    ['input schema', tool.input],
    ['output schema', tool.output],
  ]
}

function resourceParts(resource: ResourceDefinition): [string, unknown][] {
  return [
    ['definition', resource],
    ['reader', resource.read],
  ]
}
/* eslint-enable @typescript-eslint/unbound-method */

/** A tool's schemas, each built (once) when first asked for. */
interface ToolSchemas {
  input: () => z.ZodType
  output: () => z.ZodType
}

interface Admitted {
  plugin: string
  claims: PluginClaims
  tools: ToolDefinition[]
  schemas: Map<ToolDefinition, ToolSchemas>
  resources: ResourceDefinition[]
  prompts: PromptDefinition[]
  sections: [string, z.ZodType][]
  executors: RemoteExecutorDefinition[]
}

/** `driftcore://schema/fields` → `schema`; `fixture://readme` → `fixture`. */
function resourcePrefix(uri: string): string | undefined {
  return /^driftcore:\/\/([^/{}]+)/.exec(uri)?.[1] ?? /^([a-z][a-z0-9+.-]*):\/\//.exec(uri)?.[1]
}

function without<T extends object, K extends keyof T>(value: T, keys: K[]): Omit<T, K> {
  const copy = { ...value }
  for (const key of keys) delete copy[key]
  return copy
}

function isZod(value: unknown): value is z.ZodType {
  return value !== null && typeof value === 'object' && typeof (value as z.ZodType).safeParse === 'function'
}

function isSchema(value: unknown): boolean {
  return isZod(value) || typeof value === 'function'
}

// A tool's input or output schema as given, or, given a function, what it returns when first
// asked (and the same object every time after).
function schemaOf(plugin: string, tool: ToolDefinition, part: 'input' | 'output'): () => z.ZodType {
  const given = tool[part]
  if (typeof given !== 'function') return () => given
  let built: z.ZodType | undefined
  return () => (built ??= buildSchema(plugin, tool.id, part, given))
}

function buildSchema(plugin: string, id: string, part: string, build: () => unknown): z.ZodType {
  let schema: unknown
  try {
    schema = build()
  } catch (error) {
    throw invalidSchema(plugin, id, `building its ${part} schema failed: ${(error as Error).message}`, error)
  }
  if (!isZod(schema)) throw invalidSchema(plugin, id, `its ${part} function returned no zod schema`)
  return schema
}

function invalidSchema(plugin: string, id: string, problem: string, cause?: unknown): DriftcoreError {
  return new DriftcoreError(
    'invalid_input',
    `plugin ${plugin} contributes an invalid tool "${id}": ${problem}`,
    {
      hint: removeHint(plugin),
      ...(cause === undefined ? {} : { cause }),
    },
  )
}
