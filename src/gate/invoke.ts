import { randomUUID } from 'node:crypto'
import type { ArtifactRef, ArtifactStore } from '../artifacts/store.js'
import type { Approvals } from '../approvals/approvals.js'
import type { AuditLog } from '../audit/log.js'
import type { Actor, Identity } from '../audit/record.js'
import { withIdentity } from '../audit/identity.js'
import type { Redactor } from '../audit/redact.js'
import { DriftcoreError, toDriftcoreError } from '../errors/driftcore-error.js'
import type { IdempotencyStore } from '../idempotency/store.js'
import type { Launcher } from '../launcher/launch.js'
import type { Locks } from '../locks/locks.js'
import type { Logger } from '../logging/logger.js'
import type { CompiledPolicy, PolicyDecision, PolicyRequest } from '../policy/engine.js'
import type { HandlerTable, Registry, ToolDescriptor } from '../registry/registry.js'
import { HOST_TOOL_IDS, type HostServices, type HostToolContext } from '../kernel/host.js'
import type { Progress, ResourceContent, SimulateRequest, ToolContext } from '../registry/types.js'
import type { SecretResolver } from '../secrets/resolve.js'
import { canonicalJson, sha256 } from '../store/hash.js'
import type { ProjectPaths } from '../store/paths.js'
import { boundLauncher } from './bound-launcher.js'
import { constraintRefusal, outputRefusal } from './constraints.js'
import { progressPump } from './progress.js'

export interface InvokeOptions {
  traceId?: string
  /** Decide only: no approval request, no handler, no audit record. */
  dryRun?: boolean
  idempotencyKey?: string
  /** An approved request for exactly this tool and input. */
  approvalId?: string
  /**
   * When policy requires approval and no approvalId is given: an approval a person already
   * granted for exactly this input, if there is one (looked up only then, so calls that need
   * no approval pay nothing for it).
   */
  findApproval?: (inputHash: string) => Promise<string | undefined>
  /** Told the decision as soon as it is made, whatever happens next (metrics label calls with it). */
  onDecision?: (decision: PolicyDecision) => void
  signal?: AbortSignal
  onProgress?: (progress: Progress) => void
  /** Extra facts for the audit record (workflow run and step, MCP session…). */
  meta?: Record<string, unknown>
  logger?: Logger
  /** Told the pid of every process the handler starts (a workflow journals them to clean up after a crash). */
  onProcess?: (pid: number) => void
  /**
   * How the actor was established, as far as the caller knows (the MCP client and session, the
   * control-API token's name): put in every record the call writes, over the process's own.
   */
  identity?: Partial<Identity>
}

/** The options of a gate call (`Gate.invoke`). */
export type GateOptions = InvokeOptions

export interface InvokeResult {
  tool: string
  trace_id: string
  decision: PolicyDecision
  output: unknown
  duration_ms: number
  /** Set when the output was too big to keep inline in the audit record. */
  artifact?: ArtifactRef
  /** True when an idempotency key returned an earlier result. */
  replayed?: boolean
  /** The approval the call ran under (policy said REQUIRE_APPROVAL), and who granted it. */
  approval?: { id: string; approved_by: Actor; via?: string; approvers?: Actor[] }
}

export interface DryRunResult {
  tool: string
  dry_run: true
  decision: PolicyDecision
  /** The hash of the validated input: what an approval for this call is bound to. */
  input_hash: string
}

export interface GateDeps {
  registry: Registry
  handlers: HandlerTable
  policy: () => CompiledPolicy
  audit: AuditLog
  approvals: Approvals
  idempotency: IdempotencyStore
  locks: Locks
  artifacts: ArtifactStore
  launcher: Launcher
  secrets: SecretResolver
  redactor: Redactor
  logger: Logger
  paths: ProjectPaths
  config: Readonly<Record<string, unknown>> & { project: { environment: string } }
  configMeta: ToolContext['configMeta']
  /** Kernel services for the host's own tools (config.set, policy.rollback); never for plugins'. */
  host?: HostServices
  /** settleMs: how long a cancelled handler may take to stop (the launcher's kill grace and a margin). */
  limits: { maxInputBytes: number; inlineMaxBytes: number; settleMs: number }
}

type Outcome = 'ok' | 'error' | 'denied' | 'approval_required' | 'invalid_input' | 'replayed'

/**
 * The gate: the one path from a request to a tool's handler.
 *
 *   validate → decide → approve → idempotency → locks → run → redact → artifact → record
 *
 * Every call that reaches a decision leaves exactly one `tool.call` audit record, whatever
 * its outcome; a dry run decides and records nothing.
 */
export class Gate {
  constructor(private readonly deps: GateDeps) {}

  async invoke(
    toolId: string,
    rawInput: unknown,
    actor: Actor,
    options: InvokeOptions & { dryRun: true },
  ): Promise<DryRunResult>
  async invoke(
    toolId: string,
    rawInput: unknown,
    actor: Actor,
    options?: InvokeOptions,
  ): Promise<InvokeResult>
  async invoke(
    toolId: string,
    rawInput: unknown,
    actor: Actor,
    options: InvokeOptions = {},
  ): Promise<InvokeResult | DryRunResult> {
    const d = this.deps
    const traceId = options.traceId ?? randomUUID()
    const started = performance.now()
    const tool = d.registry.tool(toolId)
    const input = this.validate(tool, rawInput)
    // Hashed only when something needs it: on the common path that is the audit record, which
    // is built after the caller has its answer. The canonical text is taken now, while the
    // input is still exactly what was validated (a handler may change its copy).
    const canonicalInput = canonicalJson(input)
    let inputHashMemo: string | undefined
    const inputHash = () => (inputHashMemo ??= sha256(canonicalInput))
    const request: PolicyRequest = {
      tool: { id: tool.id, capability: tool.capability, risk_tags: tool.risk, requires: tool.requires ?? [] },
      input,
      actor,
      environment: d.config.project.environment,
    }
    const decision = d.policy().evaluate(request)
    if (options.dryRun) return { tool: tool.id, dry_run: true, decision, input_hash: inputHash() }
    options.onDecision?.(decision)

    // Every tool.call record: what the gate computed itself (ids, hashes, numbers) as is; what
    // callers, policy text and errors put in, redacted here; the result, redacted before. The
    // data is built when the audit log writes it (after the caller has its answer), from values
    // taken now that nobody changes later.
    const record = (
      outcome: Outcome,
      data: Record<string, unknown> = {},
      result?: () => Record<string, unknown>,
    ) => {
      const durationMs = round(performance.now() - started)
      return d.audit.record({
        type: 'tool.call',
        actor,
        ...identityOf(options),
        subject: tool.id,
        trace_id: traceId,
        redacted: true,
        data: () => ({
          outcome,
          decision: decision.decision,
          rule_ids: decision.rule_ids,
          deciding_rule: decision.deciding_rule,
          policy: decision.snapshot,
          constraints: decision.constraints,
          input_hash: inputHash(),
          duration_ms: durationMs,
          ...d.redactor.redact({
            ...(options.idempotencyKey ? { idempotency_key: options.idempotencyKey } : {}),
            ...(options.meta ? { meta: options.meta } : {}),
            ...data,
          }),
          ...(result ? { result: result() } : {}),
        }),
      })
    }

    if (decision.decision === 'DENY') {
      await record('denied', { reason: decision.reason })
      throw new DriftcoreError('policy_denied', `${tool.id} denied by policy: ${decision.reason}`, {
        hint: `see why with: driftcore policy explain --tool ${tool.id}`,
        details: {
          rule: decision.deciding_rule,
          rule_ids: decision.rule_ids,
          reason: decision.reason,
          policy: decision.snapshot,
        },
      })
    }
    // A constraint the tool's in-process work cannot be held to refuses the call before anyone
    // is asked to approve it.
    const refusal = constraintRefusal(tool, decision.constraints, input, d, options.meta)
    if (refusal) {
      await record('error', { error: { code: refusal.code, message: refusal.message } })
      throw refusal
    }
    let approvedBy: Actor | undefined
    let approvedVia: string | undefined
    let approvers: Actor[] | undefined
    let approvalId = options.approvalId
    let effects: Effects = NO_APPROVAL
    if (decision.decision === 'REQUIRE_APPROVAL') {
      approvalId ??= await options.findApproval?.(inputHash())
      if (!approvalId) {
        // A call that cannot work is told so now, before a person is asked to approve it.
        await this.precheck(tool, input, record)
        const redacted = d.redactor.redact(input)
        const exact = canonicalJson(redacted) === canonicalJson(input)
        const preview = await previewOf(tool, input, d)
        const approval = await d.approvals.request({
          tool: tool.id,
          inputHash: inputHash(),
          ...(preview === undefined ? {} : { preview: d.redactor.redact<string>(preview) }),
          input: exact ? input : undefined,
          inputRedacted: exact ? undefined : redacted,
          inputSummary: summarise(redacted),
          requester: actor,
          decision,
          traceId,
          ...identityOf(options),
          ...workflowOf(options.meta),
        })
        await record('approval_required', { approval_id: approval.id, reason: decision.reason })
        throw new DriftcoreError(
          'approval_required',
          `${tool.id} needs a person's approval: ${decision.reason}`,
          {
            hint: `a person approves it with: driftcore approvals approve ${approval.id}`,
            details: {
              approval_id: approval.id,
              rule: decision.deciding_rule,
              reason: decision.reason,
              expires_at: approval.expires_at,
              ...(decision.client_attestation ? { client_attestation: true } : {}),
            },
          },
        )
      }
      try {
        // Checked now, used only once the handler starts changing things (see `effectsOf`).
        const claim = await d.approvals.claim(approvalId, {
          tool: tool.id,
          inputHash: inputHash(),
          actor,
          workflow: workflowOf(options.meta).workflow,
          clientAttestation: decision.client_attestation === true,
          ...identityOf(options),
          traceId,
          ...(decision.approvals_required ? { approvalsRequired: decision.approvals_required } : {}),
        })
        approvedBy = claim.approval.decided_by
        approvers = claim.approval.approved_by?.map((v) => v.by)
        approvedVia = claim.approval.via
        effects = effectsOf(claim.commit)
      } catch (thrown) {
        // A refused approval (forged, someone else's, another config…) is a call that was tried.
        const error = toDriftcoreError(thrown)
        await record(error.code === 'approval_required' ? 'approval_required' : 'error', {
          approval_id: approvalId,
          error: { code: error.code, message: d.redactor.redactText(error.message) },
        })
        throw error
      }
      // Checked again before the approval is used: what was possible when it was asked may not
      // be now, and a call that cannot work keeps its approval for the repeat.
      await this.precheck(tool, input, record, { approval_id: approvalId, approval_used: false })
    }

    if (options.idempotencyKey) {
      const prior = await d.idempotency.lookup<Omit<InvokeResult, 'replayed'>>(
        options.idempotencyKey,
        tool.id,
        inputHash(),
      )
      if (prior) {
        await record('replayed', { replay_of: prior.result.trace_id })
        return { ...prior.result, replayed: true }
      }
    }

    // The record of what the handler does must be writable before it does anything.
    await d.audit.ready()
    const { run, locks } = d.handlers.tool(tool.id)
    const lockRequests = locks?.(input) ?? []
    if (lockRequests.length > 0) await d.locks.acquire(lockRequests, lockOwner(actor, traceId))
    const deadline = withDeadline(options.signal, decision.constraints.timeout_ms, tool.id)
    const signal = deadline.signal
    const extra = () =>
      approvedBy
        ? {
            approval_id: approvalId,
            approved_by: approvedBy,
            ...(approvedVia ? { approval_via: approvedVia } : {}),
            ...(effects.used() ? {} : { approval_used: false }),
          }
        : {}
    // A caller that shows progress also hears, every second the handler says nothing, that it still runs.
    const pump = options.onProgress ? progressPump(tool.id, options.onProgress) : undefined
    try {
      // A tool that does not say when its effects begin begins them as its handler starts. A
      // call with no approval has nothing to use: no promise to wait for (one hop less).
      if (effects !== NO_APPROVAL && tool.effects !== 'marked') await effects.begin()
      const ctx = this.context(
        tool,
        actor,
        traceId,
        decision,
        signal,
        pump ? { ...options, onProgress: pump.report } : options,
        effects,
        approvedBy && approvalId ? { id: approvalId, approved_by: approvedBy } : undefined,
      )
      const work = withIdentity(options.identity, () => run(input, ctx))
      const raw = await (signal === NEVER ? work : abortable(work, signal, d.limits.settleMs))
      // A successful call uses its approval, whether or not it said when it began.
      if (effects !== NO_APPROVAL) await effects.begin()
      const parsed = tool.output.safeParse(raw)
      if (!parsed.success) {
        throw new DriftcoreError(
          'internal',
          `${tool.id} returned output that does not match its schema: ${parsed.error.issues[0]?.message ?? ''}`,
          {
            details: { issues: parsed.error.issues.slice(0, 5) },
          },
        )
      }
      const output = d.redactor.redact(parsed.data)
      const text = JSON.stringify(output) ?? 'null'
      const bytes = Buffer.byteLength(text)
      const tooBig = outputRefusal(tool.id, bytes, decision.constraints)
      if (tooBig) throw tooBig
      const artifact =
        bytes > d.limits.inlineMaxBytes
          ? await d.artifacts.put(text, {
              name: `${tool.id}.output.json`,
              mediaType: 'application/json',
              retention: 'standard',
            })
          : undefined
      const result: InvokeResult = {
        tool: tool.id,
        trace_id: traceId,
        decision,
        output,
        duration_ms: round(performance.now() - started),
        ...(artifact ? { artifact } : {}),
        ...(approvedBy && approvalId
          ? {
              approval: {
                id: approvalId,
                approved_by: approvedBy,
                ...(approvedVia ? { via: approvedVia } : {}),
                ...(approvers && approvers.length > 0 ? { approvers } : {}),
              },
            }
          : {}),
      }
      try {
        await record('ok', extra(), () =>
          artifact
            ? { artifact: artifact.uri, sha256: artifact.sha256, bytes }
            : // Parsed back from the text: the output object itself now belongs to the caller.
              { sha256: sha256(text), bytes, inline: JSON.parse(text) as unknown },
        )
      } catch (thrown) {
        // The handler's effect happened: a caller must not retry it (a workflow must not
        // dead-letter it) as if it had not.
        throw unrecordedEffect(tool.id, thrown)
      }
      if (options.idempotencyKey)
        await d.idempotency.store(options.idempotencyKey, tool.id, inputHash(), result)
      return result
    } catch (thrown) {
      const error =
        signal.aborted && !(thrown instanceof DriftcoreError) ? abortError(signal) : toDriftcoreError(thrown)
      if (error.details.effect === 'unrecorded') throw error
      await record('error', {
        ...extra(),
        error: { code: error.code, message: d.redactor.redactText(error.message) },
      })
      throw error
    } finally {
      pump?.stop()
      deadline.clear()
      if (lockRequests.length > 0)
        await d.locks.release(
          lockOwner(actor, traceId),
          lockRequests.map((l) => l.key),
        )
    }
  }

  /** Reads a resource: decided and recorded like a read-only tool call. */
  async read(
    uri: string,
    actor: Actor,
    options: { traceId?: string; logger?: Logger; identity?: Partial<Identity> } = {},
  ): Promise<ResourceContent> {
    const d = this.deps
    const { resource, params } = d.registry.matchResource(uri)
    const traceId = options.traceId ?? randomUUID()
    const decision = d.policy().evaluate({
      tool: {
        id: `resource:${resource.uri}`,
        capability: 'resource.read',
        risk_tags: ['read'],
        requires: [],
      },
      input: params,
      actor,
      environment: d.config.project.environment,
    })
    const record = (outcome: Outcome, data: Record<string, unknown> = {}) =>
      d.audit.record({
        type: 'resource.read',
        actor,
        ...identityOf(options),
        subject: uri,
        trace_id: traceId,
        data: {
          outcome,
          decision: decision.decision,
          rule_ids: decision.rule_ids,
          policy: decision.snapshot,
          ...data,
        },
      })
    if (decision.decision === 'DENY' || decision.decision === 'REQUIRE_APPROVAL') {
      await record('denied', { reason: decision.reason })
      throw new DriftcoreError('policy_denied', `reading ${uri} is not allowed: ${decision.reason}`, {
        details: { rule: decision.deciding_rule, reason: decision.reason },
      })
    }
    try {
      const content = await d.handlers.resource(resource.uri)(params, {
        config: d.config,
        paths: d.paths,
        artifacts: { put: (c, m) => d.artifacts.put(c, m), get: (r) => d.artifacts.get(r) },
        logger: options.logger ?? d.logger,
      })
      const read = resourceContent(content, resource.plugin, uri)
      if (read.text === undefined) {
        const bytes = Buffer.from(read.data, 'base64')
        await record('ok', { bytes: bytes.length, sha256: sha256(bytes) })
        return read
      }
      const redacted = { ...read, text: d.redactor.redactText(read.text) }
      await record('ok', { bytes: Buffer.byteLength(redacted.text), sha256: sha256(redacted.text) })
      return redacted
    } catch (thrown) {
      const error = toDriftcoreError(thrown)
      await record('error', { error: { code: error.code, message: error.message } })
      throw error
    }
  }

  /** Decides a hypothetical request, with no side effects: nothing is recorded. */
  simulate(request: SimulateRequest): PolicyDecision {
    const d = this.deps
    const tool = typeof request.tool === 'string' ? d.registry.tool(request.tool) : undefined
    return d.policy().evaluate({
      ...request,
      tool: tool
        ? { id: tool.id, capability: tool.capability, risk_tags: tool.risk, requires: tool.requires ?? [] }
        : (request.tool as PolicyRequest['tool']),
      environment: request.environment ?? d.config.project.environment,
    })
  }

  private validate(tool: ToolDescriptor, rawInput: unknown): unknown {
    const size = Buffer.byteLength(JSON.stringify(rawInput ?? null))
    if (size > this.deps.limits.maxInputBytes) {
      throw new DriftcoreError(
        'invalid_input',
        `input for ${tool.id} is ${size} bytes, over limits.max_input_bytes (${this.deps.limits.maxInputBytes})`,
      )
    }
    const parsed = strictInput(tool.input).safeParse(rawInput ?? {})
    if (parsed.success) return parsed.data
    const problems = parsed.error.issues.map(
      (i) => `${i.path.length > 0 ? i.path.join('.') : '(input)'}: ${i.message}`,
    )
    throw new DriftcoreError(
      'invalid_input',
      `input for ${tool.id} is not valid:\n  ${problems.join('\n  ')}`,
      {
        hint: `see the input schema with: driftcore tools describe ${tool.id}`,
        details: { issues: parsed.error.issues.map((i) => ({ path: i.path, message: i.message })) },
      },
    )
  }

  // Runs the tool's precheck; a failure is recorded as the call's outcome and thrown.
  private async precheck(
    tool: ToolDescriptor,
    input: unknown,
    record: (outcome: Outcome, data?: Record<string, unknown>) => Promise<void>,
    data: Record<string, unknown> = {},
  ): Promise<void> {
    if (!tool.precheck) return
    const d = this.deps
    try {
      await tool.precheck(input, {
        config: d.config,
        paths: d.paths,
        artifacts: { put: (c, m) => d.artifacts.put(c, m), get: (r) => d.artifacts.get(r) },
        logger: d.logger,
        launcher: { resolve: (file) => d.launcher.resolve(file) },
      })
    } catch (thrown) {
      const error = toDriftcoreError(thrown)
      await record('error', {
        ...data,
        precheck: true,
        error: { code: error.code, message: d.redactor.redactText(error.message) },
      })
      throw error
    }
  }

  // What every call's context shares, made once per gate and frozen, so no handler can change
  // what the next call (another plugin's) is handed: the artifact store's two functions and the
  // policy simulator.
  private shared: Pick<ToolContext, 'artifacts' | 'policy'> | undefined

  private context(
    tool: ToolDescriptor,
    actor: Actor,
    traceId: string,
    decision: PolicyDecision,
    signal: AbortSignal,
    options: InvokeOptions,
    effects: Effects,
    approval?: ToolContext['approval'],
  ): ToolContext {
    const d = this.deps
    const shared = (this.shared ??= {
      artifacts: Object.freeze({
        put: (c: Parameters<ArtifactStore['put']>[0], m: Parameters<ArtifactStore['put']>[1]) =>
          d.artifacts.put(c, m),
        get: (r: Parameters<ArtifactStore['get']>[0]) => d.artifacts.get(r),
      }),
      policy: Object.freeze({ simulate: (request: SimulateRequest) => this.simulate(request) }),
    })
    let launcher: ToolContext['launcher'] | undefined
    const ctx: ToolContext = {
      actor,
      traceId,
      signal,
      constraints: decision.constraints,
      config: d.config,
      configMeta: d.configMeta,
      paths: d.paths,
      policy: shared.policy,
      // Bound on first use: most handlers start no process. An own accessor, so a handler that
      // spreads its context into another still passes it on.
      get launcher() {
        return (launcher ??= boundLauncher(
          d.launcher,
          decision.constraints,
          signal,
          (run) =>
            d.audit.record({
              type: 'process.run',
              actor,
              ...identityOf(options),
              subject: tool.id,
              trace_id: traceId,
              data: run,
            }),
          options.onProcess,
          effects.begin,
          workflowOf(options.meta).workflow?.run_id,
        ))
      },
      artifacts: shared.artifacts,
      secrets: d.secrets,
      beginEffects: effects.begin,
      progress: (p) => options.onProgress?.(p),
      logger: options.logger ?? d.logger,
    }
    if (approval) ctx.approval = approval
    if (d.host && HOST_TOOL_IDS.has(tool.id)) (ctx as HostToolContext).host = d.host
    return ctx
  }
}

const strictInputs = new WeakMap<object, ToolDescriptor['input']>()

/**
 * A tool's object input schema, refusing keys it does not declare: an input the agent padded
 * with a key the tool ignores is refused, not silently stripped (the approval, the hash and the
 * audit record would otherwise all describe an input other than the one sent). A schema that
 * declares what to do with other keys (`.loose()`, `.catchall()`) keeps its choice.
 */
function strictInput(schema: ToolDescriptor['input']): ToolDescriptor['input'] {
  let strict = strictInputs.get(schema)
  if (!strict) {
    type Inspected = {
      strict?: () => ToolDescriptor['input']
      _zod?: { def?: { type?: string; catchall?: unknown; getter?: () => unknown } }
    }
    let s = schema as unknown as Inspected
    // z.lazy(() => z.object(…)) is the object it builds: padding it is refused too.
    while (s._zod?.def?.type === 'lazy' && s._zod.def.getter) s = s._zod.def.getter() as Inspected
    const def = s._zod?.def
    strict = def?.type === 'object' && def.catchall === undefined && s.strict ? s.strict() : schema
    strictInputs.set(schema, strict)
  }
  return strict
}

// A call made by a workflow step: its approval says which run to resume once it is decided.
function workflowOf(meta: Record<string, unknown> | undefined): {
  workflow?: { run_id: string; step: string }
} {
  return typeof meta?.run_id === 'string' && typeof meta.step === 'string'
    ? { workflow: { run_id: meta.run_id, step: meta.step } }
    : {}
}

// Spread into a record or an approvals call: nothing at all when the caller gave no identity.
function identityOf(options: { identity?: Partial<Identity> | undefined }): { identity?: Partial<Identity> } {
  return options.identity ? { identity: options.identity } : {}
}

const NEVER = new AbortController().signal

/** When a call's approval is used: `begin` uses it (once), `used` says whether it has been. */
interface Effects {
  begin: () => Promise<void>
  used: () => boolean
}

const NO_APPROVAL: Effects = { begin: () => Promise.resolve(), used: () => true }

/**
 * The moment an approved call starts changing things uses its approval, once: the first of
 * `ctx.beginEffects()`, the first process started, the handler returning, or, for a tool that
 * does not mark its effects, the handler starting. Marking it used is on disk before the effect
 * begins, and a call whose commit fails (someone used it meanwhile) changes nothing.
 */
function effectsOf(commit: () => Promise<unknown>): Effects {
  let begun: Promise<void> | undefined
  let done = false
  return {
    begin: () =>
      (begun ??= commit().then(() => {
        done = true
      })),
    used: () => done,
  }
}

/**
 * The signal a handler gets: the caller's, or, when policy sets a timeout, one that also fires
 * at the deadline. Most calls have no timeout, and they share the caller's signal as is.
 */
function withDeadline(
  caller: AbortSignal | undefined,
  timeoutMs: number | undefined,
  toolId: string,
): { signal: AbortSignal; clear: () => void } {
  if (timeoutMs === undefined) return { signal: caller ?? NEVER, clear: () => undefined }
  const controller = new AbortController()
  const onAbort = () => controller.abort(caller?.reason)
  caller?.addEventListener('abort', onAbort, { once: true })
  if (caller?.aborted) controller.abort(caller.reason)
  const timer = setTimeout(
    () =>
      controller.abort(new DriftcoreError('timeout', `${toolId} passed its ${timeoutMs} ms policy timeout`)),
    timeoutMs,
  )
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer)
      caller?.removeEventListener('abort', onAbort)
    },
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000
}

// A one-line summary for lists; a longer input is cut, and the summary says so and where the
// whole of it is (the request keeps the whole input, redacted if need be).
function summarise(input: unknown): string {
  const text = JSON.stringify(input) ?? ''
  if (text.length <= 300) return text
  return `${text.slice(0, 240)}… [cut: 240 of ${text.length} characters shown; \`driftcore approvals show\` prints the whole input]`
}

/** The error for a call that ran but whose record could not be written (`details.effect`). */
function unrecordedEffect(toolId: string, thrown: unknown): DriftcoreError {
  const cause = toDriftcoreError(thrown)
  return new DriftcoreError(
    cause.code,
    `${toolId} ran, but its audit record could not be written: ${cause.message}`,
    {
      hint: 'do not retry it blindly: its effect happened; free the space or restore the log, then check',
      details: { ...cause.details, effect: 'unrecorded' },
      cause,
    },
  )
}

function abortError(signal: AbortSignal): DriftcoreError {
  const reason: unknown = signal.reason
  if (reason instanceof DriftcoreError) return reason
  return new DriftcoreError('cancelled', 'the call was cancelled')
}

// Handlers should honour the signal, but one that ignores it must not hold the caller forever:
// after an abort we wait up to `settleMs` for it to finish (so its child processes are gone
// before locks are released), then give up on it.
function abortable<T>(work: Promise<T>, signal: AbortSignal, settleMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false
    const onAbort = () => {
      const giveUp = setTimeout(() => finish(() => reject(abortError(signal))), settleMs)
      work
        .finally(() => clearTimeout(giveUp))
        .then(
          () => finish(() => reject(abortError(signal))),
          () => finish(() => reject(abortError(signal))),
        )
    }
    const finish = (fn: () => void) => {
      if (settled) return
      settled = true
      signal.removeEventListener('abort', onAbort)
      fn()
    }
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
    work.then(
      (value) => finish(() => (signal.aborted ? reject(abortError(signal)) : resolve(value))),
      (error: unknown) => finish(() => reject(error instanceof Error ? error : new Error(String(error)))),
    )
  })
}

/**
 * Who holds the locks of one call: its actor and trace. A workflow resuming after a crash
 * releases what an interrupted attempt held by this name.
 */
export function lockOwner(actor: Actor, traceId: string): string {
  return `${actor.type}:${actor.id}/${traceId}`
}

// What the approved call would do, as the tool tells it (ToolDefinition.preview); advisory, so a
// failing preview is said, and never keeps the request from being made.
async function previewOf(tool: ToolDescriptor, input: unknown, d: GateDeps): Promise<string | undefined> {
  if (!tool.preview) return undefined
  try {
    return await tool.preview(input, {
      config: d.config,
      paths: d.paths,
      artifacts: d.artifacts,
      logger: d.logger,
    })
  } catch (error) {
    return `(what it would do is unknown: ${error instanceof Error ? error.message : String(error)})`
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** A resource read's result as the gate passes it on: text, or base64 bytes; anything else is the plugin's bug. */
function resourceContent(content: unknown, plugin: string, uri: string): ResourceContent {
  const c = (content ?? {}) as { text?: unknown; data?: unknown; mimeType?: unknown }
  const mimeType = typeof c.mimeType === 'string' ? { mimeType: c.mimeType } : {}
  if (typeof c.text === 'string') return { text: c.text, ...mimeType }
  if (typeof c.data === 'string' && BASE64.test(c.data)) return { data: c.data, ...mimeType }
  throw new DriftcoreError(
    'internal',
    `plugin ${plugin} read ${uri} but returned neither text (a string) nor data (base64 bytes)`,
    { hint: `fix the resource's read() in ${plugin}: return { text } or { data: bytes.toString('base64') }` },
  )
}
