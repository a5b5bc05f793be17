import os from 'node:os'
import type { Actor } from '../../audit/record.js'
import { DriftcoreError, isDriftcoreError } from '../../errors/driftcore-error.js'
import { lockOwner } from '../../gate/invoke.js'
import type { ExprContext } from '../expr/template.js'
import { evaluateCel, jsonToCel, runContext } from '../expr/template.js'
import type { CompiledStep, CompiledWorkflow } from '../format/compile.js'
import type { JournalEntry, JournalEvent } from '../journal/events.js'
import { applyEvent } from '../journal/replay.js'
import { PASSING_STEP, TERMINAL_STEP, type RunState, type StepState } from '../journal/state.js'
import type { JournalWriter } from '../journal/writer.js'
import { faultKill } from '../runs/fault-point.js'
import { killOrphanGroup, reapRunProcesses } from '../runs/process.js'
import { abortReason } from './clock.js'
import type { EngineDeps, StepRuntime } from './runtime.js'
import { runResult } from './result.js'
import { Semaphore } from './semaphore.js'
import { runApproval, runCondition, runDelay, runNotify } from './steps/simple.js'
import { runWorker } from './steps/worker.js'

export interface ExecuteOptions {
  /** Keep waiting for people instead of suspending the run when only approvals are left. */
  waitForApprovals: boolean
  onEvent?: (event: JournalEvent, state: RunState) => void
}

/**
 * Events that allow something to happen (a step's effect, a downstream step, a report of
 * success or of the run's end) are on disk before it does, whatever the fsync policy: with
 * `batch` they are flushed before `record()` returns, so a kill can never lose an event whose
 * consequence already happened. Steps finishing together still share one write and fsync; the
 * events between (processes, retries scheduled, attachment) wait for the next batch.
 */
const DURABLE_FIRST: ReadonlySet<string> = new Set([
  'step.started',
  'step.waiting',
  'step.succeeded',
  'step.failed',
  'step.timed_out',
  'step.skipped',
  'step.blocked',
  'step.cancelled',
  'step.dead_lettered',
  'run.suspended',
  'run.finished',
])

/** Ready steps started beyond what the slots can take at once, so a freed slot never waits. */
const ADMIT_AHEAD = 1024

const HANDLERS = {
  worker: runWorker,
  approval: runApproval,
  delay: runDelay,
  condition: runCondition,
  notify: runNotify,
} satisfies Record<CompiledStep['def']['type'], (rt: StepRuntime) => Promise<void>>

/**
 * Runs a run's DAG in this process until it finishes or, with only people left to wait for,
 * is suspended. Every transition is journaled before the state changes, so the state here is
 * always what a replay of the journal gives. Readiness is counted, not searched: a finished
 * step decrements its dependents' counters, so a transition costs O(its edges).
 */
export class Executor {
  private readonly remaining = new Map<string, number>()
  // A queue read from `readyHead`: `shift()` is linear in its length, and a fan-out makes it long.
  private ready: string[] = []
  private readyHead = 0
  private readonly active = new Map<string, Promise<void>>()
  private readonly parkedSteps = new Set<string>()
  private readonly restingSteps = new Set<string>()
  private readonly runAbort = new AbortController()
  private readonly suspendAbort = new AbortController()
  private readonly waitSignal = AbortSignal.any([this.runAbort.signal, this.suspendAbort.signal])
  private readonly runSlots: Semaphore
  private readonly admitted: number
  private readonly stepsView: Record<string, { status: string; output: unknown }> = {}
  private context: ExprContext
  private signalled = false
  private waiter: (() => void) | undefined

  constructor(
    private readonly state: RunState,
    private readonly workflow: CompiledWorkflow,
    private readonly journal: JournalWriter,
    private readonly deps: EngineDeps,
    private readonly options: ExecuteOptions,
  ) {
    this.runSlots = new Semaphore(workflow.concurrency ?? Number.MAX_SAFE_INTEGER)
    this.admitted = Math.min(this.runSlots.size, deps.globalSlots.size) + ADMIT_AHEAD
    for (const id of workflow.read) this.view(id, state.steps[id]!)
    this.context = {
      inputs: jsonToCel(state.input),
      steps: this.stepsView,
      run: runContext(state),
      env: deps.env,
    }
  }

  /** Cancels the run: running steps are aborted (their processes killed), the rest cancelled. */
  async cancel(by: Actor, reason: string): Promise<void> {
    if (this.runAbort.signal.aborted) return
    await this.record({ type: 'run.cancel_requested', by, reason })
    this.runAbort.abort(new DriftcoreError('cancelled', `run cancelled by ${by.type}:${by.id}: ${reason}`))
    this.wake()
  }

  async execute(resumed: boolean): Promise<RunState> {
    await this.record({ type: 'run.attached', pid: process.pid, host: os.hostname(), resumed })
    await this.recoverInterrupted(resumed)
    const deadline = this.state.deadline ? Date.parse(this.state.deadline) : undefined
    const timer =
      deadline === undefined
        ? undefined
        : setTimeout(
            () =>
              this.runAbort.abort(
                new DriftcoreError('timeout', `run passed its deadline ${this.state.deadline}`),
              ),
            Math.max(0, deadline - Date.now()),
          )
    if (this.state.cancel)
      this.runAbort.abort(new DriftcoreError('cancelled', `run cancelled: ${this.state.cancel.reason}`))
    this.runAbort.signal.addEventListener('abort', () => this.wake(), { once: true })
    try {
      this.seed()
      for (;;) {
        if (this.runAbort.signal.aborted) {
          await Promise.allSettled(this.active.values())
          await this.cancelRemaining()
          await this.withdrawApprovals()
          break
        }
        await this.dispatch()
        if (this.active.size === 0 && this.readyCount() === 0) break
        if (
          !this.options.waitForApprovals &&
          this.readyCount() === 0 &&
          this.active.size > 0 &&
          this.parkedSteps.size === this.active.size
        ) {
          const waitingOn = this.waitingOn()
          this.suspendAbort.abort(new Error('suspended'))
          await Promise.allSettled(this.active.values())
          await this.record({ type: 'run.suspended', waiting_on: waitingOn })
          return this.state
        }
        await this.woken()
      }
      await this.finish()
      return this.state
    } finally {
      if (timer) clearTimeout(timer)
    }
  }

  // A step journaled as running when this process took over was interrupted by a crash: end
  // what its attempt left behind (processes, locks), then retry it under its policy.
  private async recoverInterrupted(resumed: boolean): Promise<void> {
    if (resumed) {
      const reaped = reapRunProcesses(this.state.run_id)
      if (reaped.length > 0)
        await this.deps.audit.record({
          type: 'process.reaped',
          actor: { type: 'workflow', id: this.state.run_id },
          subject: this.state.run_id,
          data: { pids: reaped, reason: 'left running by a crashed owner of the run' },
        })
    }
    for (const [id, step] of Object.entries(this.state.steps)) {
      if (step.status !== 'running') continue
      for (const p of step.processes) killOrphanGroup(p.pid, p.start_time)
      if (step.trace_id) await this.releaseLocksOf(id, step.trace_id)
      await this.record({ type: 'step.interrupted', step: id, attempt: step.attempt })
    }
  }

  // A crashed attempt never released the locks the gate took for it.
  private async releaseLocksOf(id: string, traceId: string): Promise<void> {
    const owner = lockOwner(this.state.actor, traceId)
    for (const key of await this.deps.locks.release(owner)) {
      await this.deps.audit.record({
        type: 'lock.released',
        actor: { type: 'workflow', id: this.state.run_id },
        subject: key,
        trace_id: traceId,
        data: { owner, reason: 'interrupted attempt', run_id: this.state.run_id, step: id },
      })
    }
  }

  private seed(): void {
    for (const id of this.workflow.order) {
      const step = this.state.steps[id]!
      if (TERMINAL_STEP.has(step.status)) continue
      const compiled = this.workflow.steps.get(id)!
      if (step.status !== 'pending') {
        // A run cancelled while nobody worked on it re-enters no step: a granted approval would
        // be used on the way in.
        if (!this.runAbort.signal.aborted) this.start(compiled)
        continue
      }
      const left = compiled.dependencies.filter((d) => !TERMINAL_STEP.has(this.state.steps[d]!.status)).length
      if (left > 0) this.remaining.set(id, left)
      else this.ready.push(id)
    }
  }

  private async dispatch(): Promise<void> {
    while (this.readyCount() > 0 && this.admits() && !this.runAbort.signal.aborted) {
      const id = this.ready[this.readyHead++]!
      if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
        this.ready = this.ready.slice(this.readyHead)
        this.readyHead = 0
      }
      const compiled = this.workflow.steps.get(id)!
      // A clean-up (`always: true`) runs whatever its dependencies came to.
      const bad = compiled.def.always
        ? undefined
        : compiled.dependencies.find((d) => !PASSING_STEP.has(this.state.steps[d]!.status))
      if (bad) {
        const status = this.state.steps[bad]!.status
        await this.record({ type: 'step.blocked', step: id, by: bad, reason: `dependency ${bad} ${status}` })
        this.settled(compiled)
        continue
      }
      if (compiled.when) {
        let run: boolean
        try {
          run = evaluateCel(compiled.when, this.context, `step ${id}: when`) === true
        } catch (error) {
          const e = error as DriftcoreError
          await this.record({
            type: 'step.failed',
            step: id,
            attempt: 0,
            error: { code: e.code, message: e.message },
          })
          this.settled(compiled)
          continue
        }
        if (!run) {
          await this.record({ type: 'step.skipped', step: id, reason: `when: ${compiled.def.when}` })
          this.settled(compiled)
          continue
        }
      }
      this.start(compiled)
    }
  }

  // A started step holds its task, runtime and promise chain while it queues for a slot: a
  // 50,000-step fan-out started at once held ~3 KB a step (160 MB) until its turn came. A step
  // waiting on a person or sleeping on a timer holds no slot and is not counted: a run may have
  // more of those than the window, and the steps after them must still start.
  private admits(): boolean {
    return this.active.size - this.parkedSteps.size - this.restingSteps.size < this.admitted
  }

  private readyCount(): number {
    return this.ready.length - this.readyHead
  }

  private start(compiled: CompiledStep): void {
    const id = compiled.def.id
    const rt: StepRuntime = {
      run: this.state,
      workflow: this.workflow,
      step: compiled,
      state: this.state.steps[id]!,
      actor: this.state.actor,
      deps: this.deps,
      signal: this.runAbort.signal,
      waitSignal: this.waitSignal,
      slots: [this.runSlots, this.deps.globalSlots],
      context: () => this.context,
      record: (entry, output) => this.record(entry, output),
      parked: (waiting) => {
        if (waiting) this.parkedSteps.add(id)
        else this.parkedSteps.delete(id)
        this.wake()
      },
      resting: (resting) => {
        if (resting) {
          this.restingSteps.add(id)
          this.wake()
        } else this.restingSteps.delete(id)
      },
      waitForApprovals: this.options.waitForApprovals,
    }
    const task = HANDLERS[compiled.def.type](rt)
      .catch((error: unknown) => {
        this.deps.logger.error(`step ${id} failed unexpectedly: ${(error as Error).message}`)
        if (!TERMINAL_STEP.has(rt.state.status))
          return this.record({
            type: 'step.failed',
            step: id,
            attempt: rt.state.attempt,
            error: { code: 'internal', message: (error as Error).message },
          }).then(() => undefined)
        return undefined
      })
      .finally(() => {
        this.active.delete(id)
        this.parkedSteps.delete(id)
        this.restingSteps.delete(id)
        if (TERMINAL_STEP.has(rt.state.status)) this.settled(compiled)
        this.wake()
      })
    this.active.set(id, task)
  }

  private settled(compiled: CompiledStep): void {
    for (const next of compiled.dependents) {
      const left = (this.remaining.get(next) ?? 1) - 1
      // A counter at zero is done with: a 50,000-step run need not keep 50,000 of them.
      if (left > 0) this.remaining.set(next, left)
      else this.remaining.delete(next)
      if (left === 0 && this.state.steps[next]!.status === 'pending') this.ready.push(next)
    }
  }

  private async cancelRemaining(): Promise<void> {
    const reason = abortReason(this.runAbort.signal)
    for (const id of this.workflow.order) {
      const step = this.state.steps[id]!
      if (TERMINAL_STEP.has(step.status)) continue
      await this.record({ type: 'step.cancelled', step: id, reason: reason.message })
    }
  }

  /**
   * A cancelled or timed-out run withdraws the approvals its steps asked for: nobody should be
   * asked to decide for a run that has stopped, nor a grant be left for later use. Requests
   * already decided, used or expired stay as they are.
   */
  private async withdrawApprovals(): Promise<void> {
    const reason = abortReason(this.runAbort.signal).message
    const by = this.state.cancel?.by ?? { type: 'workflow', id: this.state.run_id }
    const ids = new Set<string>()
    for (const step of Object.values(this.state.steps)) {
      if (step.approval_id && step.status !== 'succeeded') ids.add(step.approval_id)
    }
    // And those asked for this run that its journal never recorded: the gate writes the request
    // before the step journals step.waiting, so a crash between the two leaves one no step names.
    for (const r of await this.deps.approvals.list('pending'))
      if (
        r.workflow?.run_id === this.state.run_id &&
        this.state.steps[r.workflow.step]?.status !== 'succeeded'
      )
        ids.add(r.id)
    for (const id of ids) {
      try {
        await this.deps.approvals.withdraw(id, by, reason)
      } catch (error) {
        if (!isDriftcoreError(error, 'not_found')) throw error
      }
    }
  }

  private async finish(): Promise<void> {
    const steps = Object.entries(this.state.steps)
    const count = (status: StepState['status']) => steps.filter(([, s]) => s.status === status)
    const failed = steps.filter(([, s]) => !PASSING_STEP.has(s.status))
    const aborted = this.runAbort.signal.aborted ? abortReason(this.runAbort.signal) : undefined
    const status = aborted
      ? aborted.code === 'timeout'
        ? 'timed_out'
        : 'cancelled'
      : failed.length > 0
        ? 'failed'
        : 'succeeded'
    const parts = (['succeeded', 'skipped', 'failed', 'timed_out', 'blocked', 'cancelled'] as const)
      .map((s) => [s, count(s)] as const)
      .filter(([, list]) => list.length > 0)
      .map(([s, list]) =>
        s === 'succeeded' || s === 'skipped' || list.length > 5
          ? `${list.length} ${s}`
          : `${list.length} ${s} (${list.map(([id]) => id).join(', ')})`,
      )
    const summary = parts.join(', ')
    const result = runResult(this.state, this.workflow.order, status, summary)
    await this.record({ type: 'run.finished', status, summary, result })
  }

  // A task may finish while the loop is busy elsewhere: the flag keeps that wake-up from being lost.
  private wake(): void {
    this.signalled = true
    this.waiter?.()
  }

  private async woken(): Promise<void> {
    if (!this.signalled) await new Promise<void>((resolve) => (this.waiter = resolve))
    this.waiter = undefined
    this.signalled = false
  }

  private waitingOn(): string[] {
    return [...this.parkedSteps].map((id) => this.state.steps[id]!.approval_id ?? id)
  }

  /** `output`: a value the journal keeps only as an artifact pointer, kept live here. */
  private async record(entry: JournalEntry, output?: unknown): Promise<JournalEvent> {
    // The audit records of what the step did go first, before the success is even appended:
    // another step's flush may write it to the journal at any moment after.
    if (entry.type === 'step.succeeded') await this.deps.audit.flush()
    const event = await this.journal.append(entry)
    if (DURABLE_FIRST.has(entry.type)) await this.journal.flush()
    faultKill(entry.type)
    applyEvent(this.state, event, [])
    if (output !== undefined && 'step' in event) this.state.steps[event.step]!.output = output
    if ('step' in event && event.type.startsWith('step.'))
      this.view(event.step, this.state.steps[event.step]!)
    this.options.onEvent?.(event, this.state)
    return event
  }

  // Only steps an expression reads are kept in CEL's form (a second copy of the output): a
  // 50,000-step run whose steps read nothing of each other holds none.
  private view(id: string, step: StepState): void {
    if (!this.workflow.read.has(id)) return
    this.stepsView[id] = { status: step.status, output: jsonToCel(step.output ?? null) }
  }
}
