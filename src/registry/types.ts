import type { z } from 'zod'
import type { ArtifactRef, Retention } from '../artifacts/store.js'
import type { Actor } from '../audit/record.js'
import type { LaunchResult, LaunchSpec } from '../launcher/launch.js'
import type { Logger } from '../logging/logger.js'
import type { Constraints } from '../policy/constraints.js'
import type { PolicyDecision, PolicyRequest } from '../policy/engine.js'
import type { LockRequest } from '../locks/locks.js'
import type { ProjectPaths } from '../store/paths.js'

/** What a tool may do, for policy and for MCP annotations. */
export type RiskTag = 'read' | 'write' | 'exec' | 'network' | 'secrets' | 'prod'

export interface Progress {
  progress: number
  total?: number
  message?: string
}

/** Everything a handler gets. It is the handler's only way to reach processes, files of record and secrets. */
export interface ToolContext {
  actor: Actor
  traceId: string
  /** Aborted on cancellation or when the policy's timeout passes; pass it on. */
  signal: AbortSignal
  constraints: Constraints
  /** The effective config values (core and plugin sections). */
  config: Readonly<Record<string, unknown>>
  /** Identifies the effective config: which version of the format, and the hash of its values. */
  configMeta: { version: number; hash: string; origins: Readonly<Record<string, string>> }
  paths: ProjectPaths
  /** Decides a hypothetical request against the policy in force, without side effects. */
  policy: { simulate(request: SimulateRequest): PolicyDecision }
  /** Starts allowlisted processes under this call's constraints. */
  launcher: {
    run(spec: Omit<LaunchSpec, 'signal'>): Promise<LaunchResult>
    /** The path `run` would start, or its forbidden/unavailable error, without starting anything. */
    resolve(file: string): string
  }
  artifacts: {
    put(
      content: string | Uint8Array,
      meta?: { name?: string; mediaType?: string; retention?: Retention },
    ): Promise<ArtifactRef>
    get(ref: string): Promise<Buffer>
  }
  secrets: { resolve(ref: string): Promise<string> }
  progress(update: Progress): void
  logger: Logger
}

/** A request to decide; `tool` may be a registered tool's id. */
export type SimulateRequest = Omit<PolicyRequest, 'tool' | 'environment'> & {
  tool: string | PolicyRequest['tool']
  environment?: string
}

export interface ToolDefinition<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  /** `plugin.verb`, e.g. `drush.status`. */
  id: string
  title?: string
  description: string
  /** A label policy can match, e.g. `drupal.read`. */
  capability: string
  risk: RiskTag[]
  /** Programs or facilities it needs: drush, git, php, network… (shown by doctor). */
  requires?: string[]
  input: I
  output: O
  /**
   * Calling it again with the same input changes nothing more (a cache rebuild, an import of the
   * same config, setting a key to the value it has). MCP clients see it as `idempotentHint`, and
   * may retry such a call after a lost connection; read-only tools are idempotent anyway.
   */
  idempotent?: boolean
  /** Locks held while it runs, derived from its input. */
  locks?(input: z.output<I>): LockRequest[]
  /**
   * What the handler does itself, outside `ctx.launcher`, so the gate can hold that work to a
   * call's constraints too (the launcher holds every process it starts to all of them). The
   * gate enforces timeout_ms (ctx.signal, then it stops waiting), max_output_bytes (on the
   * output) and max_retries (on a workflow step's attempt) for every tool; any other constraint
   * a decision sets that this declaration does not cover refuses the call with `unavailable`,
   * naming it. Leave it out and only the risk tags speak: a tool without `network` is taken to
   * open no connection of its own.
   */
  inProcess?: InProcessWork<z.output<I>>
  /**
   * What this call would do, in words, for the person asked to approve it (a config import:
   * the objects it creates, changes with their keys, and deletes). The gate calls it when policy
   * requires approval, before anyone decides, and keeps the text with the request; `approvals
   * show`, the review screen and the MCP approval question show it beside the input. It must
   * only read (no process, no change); a failure is shown as such, never blocks the request.
   */
  preview?(input: z.output<I>, env: ResourceContext): Promise<string | undefined>
  run(input: z.output<I>, ctx: ToolContext): Promise<z.input<O>>
}

/** See {@link ToolDefinition.inProcess}. */
export interface InProcessWork<I = unknown> {
  /**
   * `none`: the handler opens no network connection itself. `checked`: it may, and refuses to
   * under `network: none` (it reads `ctx.constraints.network`). Default: `none`, unless the tool
   * has the `network` risk tag; then `network: none` refuses the call.
   */
  network?: 'none' | 'checked'
  /**
   * The files and folders the handler reads or writes itself for this input, besides
   * driftcore's own records (audit, state, artifacts); `[]` for none. Under `deny_paths` the
   * gate refuses the call when a denied path overlaps one of them (symlinks resolved). Leave it
   * out and `deny_paths` refuses the call.
   */
  paths?(input: I, env: { config: Readonly<Record<string, unknown>>; paths: ProjectPaths }): readonly string[]
  /**
   * The handler's own work is small and bounded by its input and its output, so that
   * cpu_seconds, memory_bytes and open_files only concern the processes it starts. Leave it out
   * and those constraints refuse the call, since nothing can limit work done in driftcore's
   * own process.
   */
  bounded?: boolean
}

export interface ResourceContext {
  config: Readonly<Record<string, unknown>>
  paths: ProjectPaths
  artifacts: ToolContext['artifacts']
  logger: Logger
}

export interface ResourceContent {
  text: string
  mimeType?: string
}

export interface ResourceDefinition {
  /** A URI, or an RFC 6570 template such as `driftcore://schema/fields/{entity_type}`. */
  uri: string
  name: string
  title?: string
  description: string
  mimeType: string
  read(params: Record<string, string>, ctx: ResourceContext): Promise<ResourceContent>
}

/** What a plugin's `driftcore:capabilities` hook returns. */
export interface Capabilities {
  tools?: ToolDefinition[]
  resources?: ResourceDefinition[]
  /** Config sections the plugin owns, by top-level key; defaults live in the schemas. */
  config?: Record<string, z.ZodType>
}
