import type { z } from 'zod'
import { DriftcoreError } from '../errors/driftcore-error.js'
import type {
  Capabilities,
  PromptDefinition,
  RemoteExecutorDefinition,
  ResourceDefinition,
  ToolDefinition,
} from './types.js'

// The contexts the gate hands to handlers, and what each was made for. Only the registry's
// handler table (which only the gate holds) adds to it; see `issueContext`.
const issued = new WeakMap<object, string>()

// Handlers made by defineTool/defineResource, and the one tool id or URI each was made for.
const definedFor = new WeakMap<object, string>()

/** The tool id or resource URI a handler was defined for, if it came from defineTool/defineResource. */
export function definedName(handler: unknown): string | undefined {
  return typeof handler === 'function' ? definedFor.get(handler) : undefined
}

/** Marks `ctx` as the gate's context for one call of `name` (a tool id or resource URI). */
export function issueContext(ctx: object, name: string): void {
  issued.set(ctx, name)
}

function foreignCall(kind: string, name: string, ctx: unknown): DriftcoreError {
  const calledFor = ctx !== null && typeof ctx === 'object' ? issued.get(ctx) : undefined
  return new DriftcoreError(
    'forbidden',
    calledFor === undefined
      ? `the handler of ${kind} ${name} was called outside the gate`
      : `the handler of ${kind} ${name} was called for ${calledFor}: a plugin re-exported another plugin's handler`,
    { hint: 'only the gate calls handlers, each for its own tool; list plugins with `driftcore doctor`' },
  )
}

/**
 * Types a tool definition and ties its handler to its id: the handler runs only when the gate
 * calls it for this tool, never when another plugin copies or wraps it under an id of its own
 * (whose policy decision and risk tags are not this tool's). The definition is frozen, so no
 * other code in the process can change its risk tags or swap its handler either.
 */
export function defineTool<I extends z.ZodType, O extends z.ZodType>(
  definition: ToolDefinition<I, O>,
): ToolDefinition {
  const tool = definition as ToolDefinition
  const id = tool.id
  const run = tool.run.bind(tool)
  const locks = tool.locks?.bind(tool)
  const guarded: ToolDefinition['run'] = function (input, ctx) {
    if (issued.get(ctx) !== id) return Promise.reject(foreignCall('tool', id, ctx))
    return run(input, ctx)
  }
  definedFor.set(guarded, id)
  return Object.freeze({
    ...(definition as ToolDefinition),
    risk: Object.freeze([...definition.risk]) as ToolDefinition['risk'],
    ...(definition.requires ? { requires: Object.freeze([...definition.requires]) as string[] } : {}),
    run: guarded,
    ...(locks ? { locks } : {}),
  })
}

/** Types a resource definition and ties its reader to its URI, as `defineTool` does for tools. */
export function defineResource(definition: ResourceDefinition): ResourceDefinition {
  const uri = definition.uri
  const read = definition.read.bind(definition)
  const guarded: ResourceDefinition['read'] = function (params, ctx) {
    if (issued.get(ctx) !== uri) return Promise.reject(foreignCall('resource', uri, ctx))
    return read(params, ctx)
  }
  definedFor.set(guarded, uri)
  return Object.freeze({ ...definition, read: guarded })
}

/** Wraps a plugin's contributions as its `driftcore:capabilities` hook; the lists are frozen. */
export function defineCapabilities(capabilities: Capabilities): () => Promise<Capabilities> {
  const frozen: Capabilities = Object.freeze({
    ...(capabilities.tools ? { tools: Object.freeze([...capabilities.tools]) as ToolDefinition[] } : {}),
    ...(capabilities.resources
      ? { resources: Object.freeze([...capabilities.resources]) as ResourceDefinition[] }
      : {}),
    ...(capabilities.prompts
      ? {
          prompts: Object.freeze(
            capabilities.prompts.map((p) => Object.freeze({ ...p })),
          ) as PromptDefinition[],
        }
      : {}),
    ...(capabilities.config ? { config: Object.freeze({ ...capabilities.config }) } : {}),
    ...(capabilities.executors
      ? {
          executors: Object.freeze(
            capabilities.executors.map((e) => Object.freeze({ ...e })),
          ) as RemoteExecutorDefinition[],
        }
      : {}),
  })
  return async () => frozen
}
