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
  /** The person's approval this call runs under, when policy required one (a commit names it). */
  approval?: { id: string; approved_by: Actor }
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
    /**
     * Starts a process. When the call uses an approval and the tool says when its effects begin
     * (`effects: 'marked'`), starting a process begins them (see `beginEffects`) unless the
     * spec says `changesNothing: true` (a lint, a read-only query).
     */
    run(spec: Omit<LaunchSpec, 'signal'> & { changesNothing?: boolean }): Promise<LaunchResult>
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
  /**
   * Says the handler is about to change something. A call that needs a person's approval uses
   * it up here (once; later calls are free), so a call that fails before this point keeps its
   * approval for the repeat. It throws when the approval can no longer be used (another call
   * used it meanwhile): the handler must then change nothing. Only tools declaring
   * `effects: 'marked'` need it; for the others the approval is used as the handler starts.
   */
  beginEffects(): Promise<void>
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
  /**
   * The schema of what it takes, or a function that builds it. A function is called once, when
   * the schema is first needed (the tool is called, described or listed), so a `driftcore tools
   * call` of another tool never pays for building it: zod schemas cost tens of microseconds
   * each to build, and the shipped plugins' schemas were a fifth of every call's start-up.
   *
   * @example
   * input: () => z.object({ site: z.string() }),
   */
  input: I | (() => I)
  /** The schema of what it returns, or a function that builds it (as `input`). */
  output: O | (() => O)
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
  /**
   * Checks that need no side effect and tell a call that cannot work (the program it needs is
   * not installed, the target already exists, the paths overlap) before anyone is bothered:
   * when policy requires approval, the gate runs it before it asks a person (a doomed call
   * never creates a request) and again before it uses a granted approval (which then stays
   * granted for the repeat). Throw a DriftcoreError naming the problem and the fix. It must only
   * read: no process, no write.
   */
  precheck?(input: z.output<I>, env: PrecheckContext): Promise<void> | void
  /**
   * When this tool's handler starts changing things, so an approval is used only then. Leave it
   * out and the approval is used as the handler starts. `marked`: the handler calls
   * `ctx.beginEffects()` before its first change of its own; the first process it starts
   * through `ctx.launcher` (unless `changesNothing`) begins them too, and a handler that
   * returns successfully without either uses the approval as it returns. A handler that fails
   * before any of these leaves the approval granted.
   */
  effects?: 'marked'
  /**
   * What the output says about the job, for tools whose output carries a verdict (QA passed,
   * drift remaining): `ok` false when the job was not done, and a one-line summary in words
   * ("3 config objects drift: a, b, c"). A workflow step calling the tool fails (or warns,
   * with `on_verdict: warn`) when `ok` is false, and the run's result quotes the summary. It
   * must be pure: no process, no file, no state.
   *
   * @example
   * verdict: (out) => ({ ok: out.failed.length === 0, summary: `${out.failed.length} checks failed` })
   */
  verdict?(output: z.output<O>): ToolVerdict
  run(input: z.output<I>, ctx: ToolContext): Promise<z.input<O>>
  /**
   * What a model is shown of a result besides its JSON (MCP content blocks): an image of a
   * chart, an embedded file, a link to a resource. Called with the output as the gate returns
   * it (validated and redacted), after the call; it must only read its argument. Over MCP the
   * result's content is the JSON text, then these blocks; the CLI prints the JSON only.
   */
  content?(output: z.output<O>): ContentBlock[]
}

/**
 * A piece of a tool result or prompt message in the MCP content model. Binary data is base64
 * in `data`, or `artifact`: a ref from `ctx.artifacts.put` (driftcore reads and encodes it).
 * Text is redacted like every output; binary data is sent as it is.
 */
export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'image' | 'audio'; mimeType: string; data?: string; artifact?: string }
  | {
      type: 'resource'
      uri: string
      mimeType?: string
      /** The resource's text; or its bytes via `data` (base64) or `artifact`. */
      text?: string
      data?: string
      artifact?: string
    }
  | {
      type: 'resource_link'
      uri: string
      name: string
      title?: string
      description?: string
      mimeType?: string
    }

/** A prompt argument; `suggest` feeds completion/complete. */
export interface PromptArgument {
  name: string
  description?: string
  required?: boolean
  suggest?: readonly string[]
}

export interface PromptMessage {
  role: 'user' | 'assistant'
  content: ContentBlock
}

/** What a prompt's render gets: which tools and resources this server has, to name them. */
export interface PromptContext {
  tools: readonly string[]
  resources: readonly string[]
  config: Readonly<Record<string, unknown>>
}

/**
 * A prompt a person picks in their MCP client (a slash command): a guide through the plugin's
 * tools. `name` is `prefix.name` under a prefix the plugin owns. Rendering runs no tool: it
 * only builds the messages, and must only read its arguments and context.
 */
export interface PromptDefinition {
  name: string
  title?: string
  description: string
  arguments?: PromptArgument[]
  /** A string is one user message. */
  render: (args: Record<string, string>, ctx: PromptContext) => Promise<string | PromptMessage[]>
}

/** See {@link ToolDefinition.verdict}. */
export interface ToolVerdict {
  ok: boolean
  summary: string
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
  /**
   * The handler computes the change it is about to make (a commit's diff) and holds it to
   * `max_files_changed` and `max_lines_changed` itself before anything leaves the machine.
   * Leave it out and those constraints refuse the call.
   */
  changes?: boolean
}

export interface ResourceContext {
  config: Readonly<Record<string, unknown>>
  paths: ProjectPaths
  artifacts: ToolContext['artifacts']
  logger: Logger
}

/** What a precheck gets: a resource's context, plus where the launcher would find a program. */
export interface PrecheckContext extends ResourceContext {
  launcher: Pick<ToolContext['launcher'], 'resolve'>
}

/**
 * What a resource's read returns: its text (redacted like every output), or its bytes as
 * base64 in `data` (an image, an archive), sent as they are.
 */
export type ResourceContent =
  | { text: string; data?: undefined; mimeType?: string }
  | { data: string; text?: undefined; mimeType?: string }

export interface ResourceDefinition {
  /** A URI, or an RFC 6570 template such as `driftcore://schema/fields/{entity_type}`. */
  uri: string
  name: string
  title?: string
  description: string
  mimeType: string
  read(params: Record<string, string>, ctx: ResourceContext): Promise<ResourceContent>
}

/** A step's state as a remote engine reports it. */
export type RemoteStepStatus =
  | 'pending'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'timed_out'
  | 'skipped'
  /** Not run because the run stopped or a step before it failed. */
  | 'blocked'

/** What identifies a run on the remote engine (a namespace and a name, a uid…): strings only. */
export type RemoteRef = Record<string, string>

/** One look at a remote run: its state and each step's, by driftcore step id. */
export interface RemoteSnapshot {
  /** Opaque; passed back to `poll` so it returns at the next change. */
  cursor: string
  status: 'running' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out'
  message?: string
  steps: Record<string, { status: RemoteStepStatus; message?: string; attempt?: number; output?: unknown }>
}

/**
 * What a remote executor may use: the gate, as the run's actor, for every call (its create,
 * watch and cancel are tool calls like any step's, decided by policy and audited), and the
 * run's abort signal. It gets no handler, launcher or file of record.
 */
export interface RemoteEnv {
  call(tool: string, input: unknown): Promise<unknown>
  signal: AbortSignal
  config: Readonly<Record<string, unknown>>
}

/**
 * Runs a whole workflow on another engine, for `driftcore workflow run FILE --on <id>`: the
 * host keeps the run's journal, timeline, status and cancellation as for a local run, and
 * writes each step's transitions from what `poll` reports. `id` is a prefix the plugin owns.
 */
export interface RemoteExecutorDefinition {
  id: string
  description: string
  /** Starts the run there; returns what identifies it (journaled, so a resume follows it again). */
  submit(
    request: { runId: string; definition: unknown; input: unknown; sha256: string },
    env: RemoteEnv,
  ): Promise<RemoteRef>
  /** The run's state once it differs from `cursor` (at once without one). */
  poll(ref: RemoteRef, cursor: string | undefined, env: RemoteEnv): Promise<RemoteSnapshot>
  cancel(ref: RemoteRef, env: RemoteEnv): Promise<void>
}

/** What a plugin's `driftcore:capabilities` hook returns. */
export interface Capabilities {
  /** Engines a whole workflow can run on (`workflow run --on <id>`). */
  executors?: RemoteExecutorDefinition[]
  tools?: ToolDefinition[]
  resources?: ResourceDefinition[]
  /** Prompts for MCP clients, named `prefix.name`. */
  prompts?: PromptDefinition[]
  /** Config sections the plugin owns, by top-level key; defaults live in the schemas. */
  config?: Record<string, z.ZodType>
}
