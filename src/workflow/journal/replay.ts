import { DriftcoreError } from '../../errors/driftcore-error.js'
import type { JournalEvent } from './events.js'
import type { RunState, StepState } from './state.js'

// Most steps never start a process: they share one empty list (replaced, never pushed to, when
// one does), instead of one empty array each for every step of a 50,000-step run.
const NO_PROCESSES = Object.freeze([]) as unknown as StepState['processes']

function newStep(): StepState {
  return { status: 'pending', attempt: 0, extra_attempts: 0, processes: NO_PROCESSES }
}

/** Rebuilds a run's state from its journal: the one source of truth, live or after a crash. */
export function replay(events: readonly JournalEvent[], stepIds: readonly string[]): RunState {
  const first = events[0]
  if (first?.type !== 'run.created')
    throw new DriftcoreError('integrity', 'the journal does not start with run.created')
  let state: RunState | undefined
  for (const event of events) state = applyEvent(state, event, stepIds)
  return state!
}

/** Applies one event; the executor calls it for every event it appends. */
export function applyEvent(
  state: RunState | undefined,
  event: JournalEvent,
  stepIds: readonly string[],
): RunState {
  if (event.type === 'run.created') {
    return {
      run_id: event.run_id,
      workflow_name: event.workflow_name,
      workflow_sha256: event.workflow_sha256,
      ...(event.file ? { file: event.file } : {}),
      input: event.input,
      actor: event.actor,
      trace_id: event.trace_id,
      created_at: event.at,
      updated_at: event.at,
      ...(event.deadline ? { deadline: event.deadline } : {}),
      ...(event.idempotency_key ? { idempotency_key: event.idempotency_key } : {}),
      ...(event.rerun_of ? { rerun_of: event.rerun_of } : {}),
      status: 'running',
      steps: Object.fromEntries(stepIds.map((id) => [id, newStep()])),
      seq: event.seq,
    }
  }
  if (!state) throw new DriftcoreError('integrity', `journal event ${event.seq} comes before run.created`)
  state.seq = event.seq
  state.updated_at = event.at
  if ('step' in event && event.type.startsWith('step.')) {
    const step = state.steps[event.step]
    if (!step)
      throw new DriftcoreError('integrity', `journal line ${event.seq} names unknown step "${event.step}"`)
    applyStepEvent(state, step, event)
    return state
  }
  switch (event.type) {
    case 'run.attached':
      if (state.status === 'suspended') state.status = 'running'
      break
    case 'run.suspended':
      state.status = 'suspended'
      break
    case 'run.submitted':
      state.remote = { executor: event.executor, ref: event.ref }
      break
    case 'run.cancel_requested':
      state.cancel = { by: event.by, reason: event.reason }
      break
    case 'run.finished':
      state.status = event.status
      state.summary = event.summary
      if (event.result) state.result = event.result
      state.ended_at = event.at
      break
    case 'run.reopened':
      state.status = 'running'
      delete state.ended_at
      delete state.summary
      delete state.result
      break
  }
  return state
}

function applyStepEvent(state: RunState, step: StepState, event: JournalEvent): void {
  const end = (status: StepState['status']) => {
    step.status = status
    step.ended_at = event.at
    delete step.retry_at
    delete step.until
  }
  switch (event.type) {
    case 'step.reused':
      step.status = event.status
      if (event.output !== undefined) step.output = event.output
      step.reused_from = event.from_run
      break
    case 'step.skipped':
      end('skipped')
      step.reason = event.reason
      break
    case 'step.blocked':
      end('blocked')
      step.reason = event.reason
      break
    case 'step.started':
      if (event.attempt !== step.attempt || !step.attempt_started_at) {
        step.processes = NO_PROCESSES
        step.attempt_started_at = event.job_created_at ?? event.at
      }
      step.status = 'running'
      step.attempt = event.attempt
      step.started_at ??= event.at
      step.trace_id = event.trace_id
      if (event.approval_id) step.attempt_approval = event.approval_id
      else delete step.attempt_approval
      delete step.interrupted_approval
      delete step.reason
      delete step.retry_at
      delete step.until
      break
    case 'step.process':
      step.processes = [
        ...step.processes,
        { pid: event.pid, ...(event.start_time ? { start_time: event.start_time } : {}) },
      ]
      break
    case 'step.waiting':
      step.status = 'waiting'
      step.started_at ??= event.at
      if (event.approval_id) step.approval_id = event.approval_id
      if (event.until) step.until = event.until
      step.reason = event.reason
      break
    case 'step.succeeded':
      end('succeeded')
      if (event.output !== undefined) step.output = event.output
      if (event.output_artifact) step.output_artifact = event.output_artifact
      if (event.decision) step.decision = event.decision
      if (event.verdict) step.verdict = event.verdict
      else delete step.verdict
      delete step.error
      delete step.reason
      break
    case 'step.attempt_failed':
      step.status = 'retry_wait'
      step.retry_at = event.retry_at
      step.error = event.error
      if (event.decision) step.decision = event.decision
      break
    case 'step.interrupted':
      if (step.attempt_approval && event.attempt === step.attempt)
        step.interrupted_approval = step.attempt_approval
      step.status = 'retry_wait'
      step.retry_at = event.at
      step.extra_attempts += 1
      step.error = { code: 'cancelled', message: `attempt ${event.attempt} was interrupted` }
      break
    case 'step.failed':
    case 'step.timed_out':
      end(event.type === 'step.failed' ? 'failed' : 'timed_out')
      step.error = event.error
      if (event.decision) step.decision = event.decision
      if (event.output !== undefined) step.output = event.output
      if (event.output_artifact) step.output_artifact = event.output_artifact
      if (event.verdict) step.verdict = event.verdict
      else delete step.verdict
      break
    case 'step.cancelled':
      end('cancelled')
      step.reason = event.reason
      break
    case 'step.dead_lettered':
      step.dlq_id = event.dlq_id
      break
    case 'step.requeued':
      step.status = 'pending'
      step.extra_attempts += 1
      delete step.error
      delete step.ended_at
      delete step.dlq_id
      // Steps blocked by this one get their chance again; the executor blocks them anew if
      // another failed dependency still stands in their way.
      for (const other of Object.values(state.steps)) {
        if (other.status === 'blocked') {
          other.status = 'pending'
          delete other.ended_at
          delete other.reason
        }
      }
      break
  }
}
