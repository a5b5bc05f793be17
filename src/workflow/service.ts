import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import type { Actor } from '../audit/record.js'
import { DriftcoreError } from '../errors/driftcore-error.js'
import type { Kernel } from '../kernel/open.js'
import { canonicalHash } from '../store/hash.js'
import { DeadLetters } from './dlq/store.js'
import type { Clock } from './engine/clock.js'
import type { ExecuteOptions } from './engine/executor.js'
import type { EngineDeps } from './engine/runtime.js'
import { compileOptions, engineDeps } from './engine/deps.js'
import { keepHeapNearLive } from './engine/heap.js'
import type { CompileOptions } from './format/compile.js'
import { loadWorkflowFile, type LoadedWorkflow } from './format/load.js'
import { BUILT_IN_PACKS, checkRunInput, resolveWorkflowFile } from './format/resolve.js'
import type { JournalEntry, JournalEvent } from './journal/events.js'
import { readJournal } from './journal/reader.js'
import { TERMINAL_RUN, type RunState, type RunStatus } from './journal/state.js'
import { planRun, type PlanStep } from './plan/dry-run.js'
import { readCancel, requestCancel } from './runs/cancel.js'
import { newRunId, reusedSteps, runCreated } from './runs/create.js'
import { runFiles } from './runs/files.js'
import { RunIndex, type RunSummary } from './runs/index.js'
import { readOwner, type RunOwner } from './runs/owner.js'
import { createRunFiles, loadRun, workOnRun, type LoadedRun } from './runs/session.js'

export interface ServiceOptions {
  actor: Actor
  clock?: Clock
  env?: NodeJS.ProcessEnv
}

export interface RunOptions extends Partial<ExecuteOptions> {
  interrupt?: AbortSignal
  /** Run on a remote engine a plugin provides (`workflow run --on`), not in this process. */
  on?: string
}

export interface PruneResult {
  pruned: RunSummary[]
  /** Old enough, but kept, and why. */
  kept: { run_id: string; reason: string }[]
  dry_run: boolean
}

export interface RunView {
  state: RunState
  workflow: LoadedRun['workflow']
  /** The live process working on the run, if any. */
  owner?: RunOwner
}

/**
 * The workflow engine's API: what the commands call. Runs execute in this process; their
 * files live under `.driftcore/runs/<run_id>/`, the run list and the DLQ under `state/`.
 */
export class WorkflowService {
  readonly deadLetters: DeadLetters
  readonly index: RunIndex
  private readonly deps: EngineDeps
  private readonly compile: CompileOptions

  constructor(
    private readonly kernel: Kernel,
    private readonly options: ServiceOptions,
  ) {
    this.deadLetters = new DeadLetters(kernel.paths.state)
    this.index = new RunIndex(kernel.paths.state)
    this.compile = compileOptions(kernel)
    this.deps = engineDeps(kernel, this.deadLetters, options)
  }

  async load(fileOrName: string): Promise<LoadedWorkflow> {
    keepHeapNearLive()
    const packs = [this.kernel.paths.packs, BUILT_IN_PACKS]
    return loadWorkflowFile(resolveWorkflowFile(fileOrName, this.kernel.paths.workflows, packs), {
      ...this.compile,
      maxBytes: this.kernel.config.values.limits.max_yaml_bytes,
    })
  }

  /** The dry run: what each step would do, decided by the policy in force; nothing is recorded. */
  async plan(fileOrName: string, input: unknown): Promise<PlanStep[]> {
    const loaded = await this.load(fileOrName)
    checkRunInput(loaded, input, this.kernel.redactor)
    return planRun({
      workflow: loaded.compiled,
      input,
      actor: this.options.actor,
      gate: this.kernel.gate,
      pools: this.deps.pools,
      env: this.deps.env,
      tenant: this.deps.tenant,
    })
  }

  /** Starts a run; with an idempotency key already used, returns that run instead. */
  async start(
    workflow: string | LoadedWorkflow,
    input: unknown,
    options: RunOptions & { idempotencyKey?: string } = {},
  ): Promise<RunView & { existing: boolean }> {
    const loaded = typeof workflow === 'string' ? await this.load(workflow) : workflow
    checkRunInput(loaded, input, this.kernel.redactor)
    if (options.on) this.kernel.registry.executor(options.on) // unknown: refused before a run exists
    const runId = newRunId(this.deps.clock.now())
    const now = new Date(this.deps.clock.now()).toISOString()
    const inputHash = canonicalHash({ workflow: loaded.sha256, input })
    {
      const prior = await this.index.claim({
        run_id: runId,
        workflow: loaded.definition.name,
        status: 'running',
        actor: this.options.actor,
        created_at: now,
        updated_at: now,
        ...(options.idempotencyKey ? { idempotency_key: options.idempotencyKey } : {}),
        input_hash: inputHash,
      })
      if (prior) {
        if (prior.input_hash !== inputHash)
          throw new DriftcoreError(
            'conflict',
            `idempotency key "${prior.idempotency_key}" was used for another run (${prior.run_id}) with a different workflow or input`,
            { hint: 'use a new key for a different run' },
          )
        return { ...(await this.status(prior.run_id)), existing: true }
      }
    }
    const files = runFiles(this.kernel.paths, runId)
    await createRunFiles(files, loaded.definition)
    const created = runCreated({
      runId,
      workflow: loaded.compiled,
      sha256: loaded.sha256,
      ...(loaded.file ? { file: path.relative(this.kernel.paths.root, loaded.file) } : {}),
      input,
      actor: this.options.actor,
      now: this.deps.clock.now(),
      ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
    })
    let state: RunState
    try {
      state = await this.work(
        { files, state: undefined, workflow: loaded.compiled, validBytes: 0 },
        { ...options, resumed: false, before: [created] },
      )
    } catch (error) {
      await this.forgetUnstarted(runId)
      throw error
    }
    return { state, workflow: loaded.compiled, existing: false }
  }

  /** Continues a run that was suspended, interrupted by a crash, or is waiting on a person. */
  async resume(runId: string, options: RunOptions = {}): Promise<RunView> {
    keepHeapNearLive()
    const run = await this.loadForWork(runId)
    if (TERMINAL_RUN.has(run.state.status)) {
      await this.index.update(run.state, run.state.workflow_name)
      throw new DriftcoreError(
        'invalid_input',
        `run ${runId} already ${run.state.status}; there is nothing to resume`,
        {
          hint: `start it again from a step with: driftcore workflow rerun ${runId} --from STEP`,
        },
      )
    }
    const state = await this.work(run, { ...options, resumed: true })
    return { state, workflow: run.workflow }
  }

  /** A new run of the same definition and input that reuses every output not downstream of `from`. */
  async rerun(runId: string, from: string, options: RunOptions = {}): Promise<RunView> {
    keepHeapNearLive()
    const original = await loadRun(this.kernel, runId, this.compile)
    if (!original.workflow.steps.has(from))
      throw new DriftcoreError('invalid_input', `run ${runId} has no step "${from}"`, {
        hint: `steps: ${original.workflow.order.join(', ')}`,
      })
    const newId = newRunId(this.deps.clock.now())
    const files = runFiles(this.kernel.paths, newId)
    await createRunFiles(files, original.workflow.definition)
    const o = original.state
    const before = [
      runCreated({
        runId: newId,
        workflow: original.workflow,
        sha256: o.workflow_sha256,
        ...(o.file ? { file: o.file } : {}),
        input: o.input,
        actor: this.options.actor,
        now: this.deps.clock.now(),
        rerunOf: { run_id: runId, from },
      }),
      ...reusedSteps(o, original.workflow, from),
    ]
    const state = await this.work(
      { files, state: undefined, workflow: original.workflow, validBytes: 0 },
      { ...options, resumed: false, before },
    )
    return { state, workflow: original.workflow }
  }

  /**
   * Cancels a run. A live owner is told through a cancel request and stops within a second
   * (its running steps are aborted, their processes killed); with no live owner this process
   * takes the run over and records the cancellation itself.
   */
  async cancel(runId: string, reason: string, options: { waitMs?: number } = {}): Promise<RunView> {
    const run = await loadRun(this.kernel, runId, this.compile)
    if (TERMINAL_RUN.has(run.state.status)) {
      await this.index.update(run.state, run.state.workflow_name)
      throw new DriftcoreError(
        'invalid_input',
        `run ${runId} already ${run.state.status}; it cannot be cancelled`,
      )
    }
    await requestCancel(run.files.cancel, { by: this.options.actor, reason, at: new Date().toISOString() })
    const owner = await readOwner(run.files.owner)
    if (!owner) {
      const state = await this.work(await this.loadForWork(runId), { resumed: true })
      return { state, workflow: run.workflow }
    }
    const deadline = Date.now() + (options.waitMs ?? 10_000)
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      const view = await this.status(runId)
      if (TERMINAL_RUN.has(view.state.status)) return view
    }
    throw new DriftcoreError(
      'timeout',
      `run ${runId} was asked to cancel but its process ${owner.pid} has not stopped`,
      {
        hint: 'check it with driftcore workflow status; a process that hangs can be killed, then resumed to finish cancelling',
      },
    )
  }

  /** Sends a dead-lettered job back to its run and continues the run. */
  async retryDeadLetter(id: string, options: RunOptions = {}): Promise<RunView> {
    const entry = await this.deadLetters.get(id)
    const run = await this.loadForWork(entry.run_id)
    const step = run.state.steps[entry.step]
    if (step?.dlq_id !== id)
      throw new DriftcoreError(
        'conflict',
        `step ${entry.step} of run ${entry.run_id} is no longer dead-lettered as ${id}`,
      )
    const before: JournalEntry[] = [
      { type: 'step.requeued', step: entry.step, dlq_id: id, by: this.options.actor },
    ]
    if (TERMINAL_RUN.has(run.state.status))
      before.push({ type: 'run.reopened', step: entry.step, dlq_id: id, by: this.options.actor })
    await this.deadLetters.remove(id)
    const state = await this.work(run, { ...options, resumed: true, before })
    return { state, workflow: run.workflow }
  }

  async status(runId: string): Promise<RunView> {
    const run = await loadRun(this.kernel, runId, this.compile)
    const owner = await readOwner(run.files.owner)
    return { state: run.state, workflow: run.workflow, ...(owner ? { owner } : {}) }
  }

  async timeline(runId: string): Promise<JournalEvent[]> {
    const files = runFiles(this.kernel.paths, runId)
    if (!existsSync(files.journal)) throw new DriftcoreError('not_found', `no run ${runId}`)
    return (await readJournal(files.journal)).events
  }

  /** Runs, newest first; a run left `running` by a process that is gone is marked interrupted. */
  async list(): Promise<(RunSummary & { interrupted?: true })[]> {
    const runs = await this.repairedIndex()
    return Promise.all(
      runs.map(async (run) =>
        run.status === 'running' && !(await readOwner(runFiles(this.kernel.paths, run.run_id).owner))
          ? { ...run, interrupted: true as const }
          : run,
      ),
    )
  }

  /**
   * Deletes finished runs last updated before `before` (their journals and files) and drops them
   * from the run list, so `.driftcore/runs/` does not grow for ever. Runs still running or
   * suspended, runs a process is working on, and runs with dead-lettered jobs (a `dlq retry`
   * reopens them) are kept. Each deletion is audited; the audit records of the run stay.
   */
  async prune(options: {
    before: Date
    statuses: readonly RunStatus[]
    dryRun: boolean
  }): Promise<PruneResult> {
    const dead = new Set((await this.deadLetters.list()).map((e) => e.run_id))
    const pruned: RunSummary[] = []
    const kept: PruneResult['kept'] = []
    for (const run of await this.repairedIndex()) {
      if (!TERMINAL_RUN.has(run.status) || !options.statuses.includes(run.status)) continue
      if (Date.parse(run.updated_at) >= options.before.getTime()) continue
      if (dead.has(run.run_id))
        kept.push({ run_id: run.run_id, reason: 'it has dead-lettered jobs (dlq list)' })
      else if (await readOwner(runFiles(this.kernel.paths, run.run_id).owner))
        kept.push({ run_id: run.run_id, reason: 'a process is working on it' })
      else pruned.push(run)
    }
    if (options.dryRun || pruned.length === 0) return { pruned, kept, dry_run: options.dryRun }
    // The list entry goes first: a crash midway leaves a folder nobody lists, never a listed
    // run whose journal is gone.
    const removed = await this.index.remove(pruned.map((r) => r.run_id))
    for (const run of removed) {
      await rm(runFiles(this.kernel.paths, run.run_id).dir, { recursive: true, force: true })
      await this.kernel.audit.record({
        type: 'run.pruned',
        actor: this.options.actor,
        subject: run.run_id,
        data: {
          workflow: run.workflow,
          status: run.status,
          created_at: run.created_at,
          updated_at: run.updated_at,
        },
      })
    }
    return { pruned: removed, kept, dry_run: false }
  }

  /**
   * The run list, with what a crash left stale put right from the journals (the truth): a run
   * listed as running or suspended that no process owns is read back, and when its journal
   * says otherwise (it finished, and the process was killed before it updated the list) the
   * list is updated. Only those runs are read, so a list of finished runs costs nothing more.
   */
  private async repairedIndex(): Promise<RunSummary[]> {
    const runs = await this.index.list()
    return Promise.all(
      runs.map(async (run) => {
        if (TERMINAL_RUN.has(run.status)) return run
        const files = runFiles(this.kernel.paths, run.run_id)
        if (await readOwner(files.owner)) return run
        let state: RunState
        try {
          state = (await loadRun(this.kernel, run.run_id, this.compile)).state
        } catch {
          return run // unreadable or gone: `workflow status` says why
        }
        if (state.status === run.status && state.updated_at === run.updated_at) return run
        await this.index.update(state, state.workflow_name)
        return {
          ...run,
          status: state.status,
          updated_at: state.updated_at,
          ...(state.summary ? { summary: state.summary } : {}),
        }
      }),
    )
  }

  // A run whose run.created never reached its journal (a full disk) did not start: it leaves
  // neither a listed run nor a folder that every later command would trip over.
  private async forgetUnstarted(runId: string): Promise<void> {
    const files = runFiles(this.kernel.paths, runId)
    const started = await readJournal(files.journal).then(
      (read) => read.events.length > 0,
      () => false,
    )
    if (started) return
    await this.index.remove([runId]).catch(() => undefined)
    await rm(files.dir, { recursive: true, force: true }).catch(() => undefined)
  }

  private async loadForWork(runId: string): Promise<LoadedRun> {
    const run = await loadRun(this.kernel, runId, this.compile)
    const owner = await readOwner(run.files.owner)
    if (owner)
      throw new DriftcoreError(
        'conflict',
        `run ${runId} is being worked on by process ${owner.pid} on ${owner.host}`,
        {
          hint: `wait for it, or cancel it with: driftcore workflow cancel ${runId}`,
        },
      )
    return run
  }

  private async work(
    run: {
      files: LoadedRun['files']
      state: RunState | undefined
      workflow: LoadedRun['workflow']
      validBytes: number
    },
    options: RunOptions & { resumed: boolean; before?: JournalEntry[] },
  ): Promise<RunState> {
    const before = [...(options.before ?? [])]
    const cancel = run.state?.cancel ? undefined : await readCancel(run.files.cancel)
    if (cancel) before.push({ type: 'run.cancel_requested', by: cancel.by, reason: cancel.reason })
    const state = await workOnRun(this.kernel, run, this.deps, {
      waitForApprovals: options.waitForApprovals ?? false,
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(options.interrupt ? { interrupt: options.interrupt } : {}),
      resumed: options.resumed,
      before,
      actor: this.options.actor,
      ...(options.on ? { on: options.on } : {}),
    })
    await this.index.update(state, state.workflow_name)
    return state
  }
}
