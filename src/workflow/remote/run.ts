import os from 'node:os'
import type { Actor } from '../../audit/record.js'
import { DriftcoreError, toDriftcoreError } from '../../errors/driftcore-error.js'
import type { RemoteEnv, RemoteExecutorDefinition, RemoteSnapshot } from '../../registry/types.js'
import type { ExecuteOptions } from '../engine/executor.js'
import { runResult } from '../engine/result.js'
import type { EngineDeps } from '../engine/runtime.js'
import type { CompiledWorkflow } from '../format/compile.js'
import type { JournalEntry } from '../journal/events.js'
import { applyEvent } from '../journal/replay.js'
import { TERMINAL_STEP, type RunState, type StepState } from '../journal/state.js'
import type { JournalWriter } from '../journal/writer.js'

/**
 * A run whose steps run on another engine (`workflow run --on`): this process submits it,
 * follows it, and journals each step's transitions from what the engine reports, so the run's
 * journal, timeline, status, cancel and resume are those of a local run. Every call to the
 * engine is the executor's, through the gate, as the run's actor.
 */
export class RemoteRun {
  private readonly abort = new AbortController()
  private cancelSent = false

  constructor(
    private readonly state: RunState,
    private readonly workflow: CompiledWorkflow,
    private readonly journal: JournalWriter,
    private readonly deps: EngineDeps,
    private readonly options: ExecuteOptions,
    private readonly executor: RemoteExecutorDefinition,
    private readonly config: Readonly<Record<string, unknown>>,
  ) {}

  private env(): RemoteEnv {
    return {
      call: async (tool, input) =>
        (
          await this.deps.gate.invoke(tool, input, this.state.actor, {
            traceId: this.state.trace_id,
            meta: { run_id: this.state.run_id, executor: this.executor.id },
          })
        ).output,
      signal: this.abort.signal,
      config: this.config,
    }
  }

  /** Asks the engine to cancel; the run ends when the engine says it has. */
  async cancel(by: Actor, reason: string): Promise<void> {
    if (!this.state.cancel) await this.record({ type: 'run.cancel_requested', by, reason })
    await this.sendCancel()
  }

  private async sendCancel(): Promise<void> {
    if (this.cancelSent || !this.state.remote) return
    this.cancelSent = true
    try {
      await this.executor.cancel(this.state.remote.ref, this.env())
    } catch (error) {
      this.cancelSent = false
      this.deps.logger.warn(
        `cancelling ${this.state.run_id} on ${this.executor.id} failed: ${(error as Error).message}`,
      )
    }
  }

  async execute(resumed: boolean): Promise<RunState> {
    await this.record({ type: 'run.attached', pid: process.pid, host: os.hostname(), resumed })
    if (!this.state.remote) {
      if (this.state.cancel)
        return this.finish(
          { cursor: '', status: 'cancelled', steps: {} },
          'cancelled before it was submitted',
        )
      let ref: Record<string, string>
      try {
        ref = await this.executor.submit(
          {
            runId: this.state.run_id,
            definition: this.workflow.definition,
            input: this.state.input,
            sha256: this.state.workflow_sha256,
          },
          this.env(),
        )
      } catch (error) {
        const e = toDriftcoreError(error)
        return this.finish(
          { cursor: '', status: 'failed', steps: {} },
          `not submitted to ${this.executor.id}: ${e.code}: ${e.message}`,
        )
      }
      await this.record({ type: 'run.submitted', executor: this.executor.id, ref })
    }
    if (this.state.cancel) await this.sendCancel()
    let cursor: string | undefined
    try {
      for (;;) {
        const snapshot = await this.executor.poll(this.state.remote!.ref, cursor, this.env())
        cursor = snapshot.cursor
        await this.apply(snapshot)
        if (snapshot.status !== 'running') return await this.finish(snapshot)
      }
    } finally {
      this.abort.abort()
    }
  }

  private async apply(snapshot: RemoteSnapshot): Promise<void> {
    for (const id of this.workflow.order) {
      const remote = snapshot.steps[id]
      const local = this.state.steps[id]!
      if (!remote || TERMINAL_STEP.has(local.status) || remote.status === 'pending') continue
      const attempt = Math.max(1, remote.attempt ?? 1)
      if (remote.status === 'skipped') {
        await this.record({
          type: 'step.skipped',
          step: id,
          reason: remote.message ?? `skipped on ${this.executor.id}`,
        })
        continue
      }
      if (remote.status === 'blocked') {
        await this.record({
          type: 'step.blocked',
          step: id,
          by: this.executor.id,
          reason: remote.message ?? `not run on ${this.executor.id}`,
        })
        continue
      }
      if (local.status === 'running' && local.attempt < attempt)
        await this.record({
          type: 'step.attempt_failed',
          step: id,
          attempt: local.attempt,
          error: { code: 'remote_failed', message: `attempt ${local.attempt} failed on ${this.executor.id}` },
          retry_at: new Date().toISOString(),
        })
      if (local.status !== 'running' || local.attempt < attempt)
        await this.record({
          type: 'step.started',
          step: id,
          attempt,
          trace_id: this.state.trace_id,
          route: `on ${this.executor.id}`,
        })
      await this.ended(id, remote, attempt)
    }
  }

  private async ended(id: string, remote: RemoteSnapshot['steps'][string], attempt: number): Promise<void> {
    const message = remote.message ?? `${remote.status} on ${this.executor.id}`
    if (remote.status === 'succeeded')
      await this.record({
        type: 'step.succeeded',
        step: id,
        attempt,
        ...(remote.output !== undefined ? { output: remote.output } : {}),
      })
    else if (remote.status === 'failed')
      await this.record({ type: 'step.failed', step: id, attempt, error: { code: 'remote_failed', message } })
    else if (remote.status === 'timed_out')
      await this.record({ type: 'step.timed_out', step: id, attempt, error: { code: 'timeout', message } })
    else if (remote.status === 'cancelled')
      await this.record({ type: 'step.cancelled', step: id, reason: message })
  }

  private async finish(snapshot: RemoteSnapshot, why?: string): Promise<RunState> {
    const status = snapshot.status === 'running' ? 'failed' : snapshot.status
    for (const id of this.workflow.order) {
      const step: StepState = this.state.steps[id]!
      if (TERMINAL_STEP.has(step.status)) continue
      if (status === 'cancelled' || status === 'timed_out')
        await this.record({
          type: 'step.cancelled',
          step: id,
          reason: why ?? `the run was ${status} on ${this.executor.id}`,
        })
      else
        await this.record({
          type: 'step.blocked',
          step: id,
          by: this.executor.id,
          reason: why ?? `not run on ${this.executor.id}`,
        })
    }
    const steps = Object.entries(this.state.steps)
    const counts = (['succeeded', 'skipped', 'failed', 'timed_out', 'blocked', 'cancelled'] as const)
      .map((s) => [s, steps.filter(([, x]) => x.status === s).map(([id]) => id)] as const)
      .filter(([, ids]) => ids.length > 0)
      .map(([s, ids]) =>
        s === 'succeeded' || s === 'skipped' || ids.length > 5
          ? `${ids.length} ${s}`
          : `${ids.length} ${s} (${ids.join(', ')})`,
      )
      .join(', ')
    const summary = [why ?? snapshot.message, counts].filter(Boolean).join('; ')
    const result = runResult(this.state, this.workflow.order, status, counts)
    await this.record({ type: 'run.finished', status, summary, result })
    return this.state
  }

  // Remote transitions are few and each is news: every one is on disk before anyone hears of it.
  private async record(entry: JournalEntry): Promise<void> {
    const event = await this.journal.append(entry)
    await this.journal.flush()
    applyEvent(this.state, event, this.workflow.order)
    this.options.onEvent?.(event, this.state)
  }
}

/** An unknown executor named in a journal: the run cannot be followed by this installation. */
export function missingExecutor(runId: string, id: string): DriftcoreError {
  return new DriftcoreError(
    'unavailable',
    `run ${runId} runs on ${id}, and no installed plugin provides that executor`,
    {
      hint: 'install the plugin that provides it (e.g. @driftcore/plugin-tekton), then resume the run',
    },
  )
}
