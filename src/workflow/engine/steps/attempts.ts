import { randomUUID } from 'node:crypto'
import { DriftcoreError, toDriftcoreError } from '../../../errors/driftcore-error.js'
import type { InvokeResult } from '../../../gate/invoke.js'
import { processStartTime as startTimeOf } from '../../runs/process.js'
import { backoffMs, shouldRetry } from '../retry.js'
import { withSlots } from '../semaphore.js'
import { abortReason, isoTime } from '../clock.js'
import type { StepRuntime } from '../runtime.js'
import { restFor } from '../runtime.js'
import { faultKill } from '../../runs/fault-point.js'
import { awaitDecision } from './await-decision.js'
import type { Judgement } from '../judge.js'

/** One attempt's call through the gate, as a step type prepares it. */
export interface PreparedCall {
  tool: string
  input: unknown
  idempotencyKey: string
  jobId?: string
  route?: string
  meta?: Record<string, unknown>
}

export interface CallPlan {
  /**
   * Builds the call for `attempt`; undefined when the step ended without one (e.g. sent to the
   * DLQ). `createdAt` is the attempt's start: the same when an approved attempt is called again,
   * so the input, bound to the approval by its hash, is the same too.
   */
  prepare(attempt: number, traceId: string, createdAt: number): Promise<PreparedCall | undefined>
  /** Turns the gate's result into the step's output (and checks it). */
  output(result: InvokeResult): unknown
  /** Whether the output shows the job done: the tool's verdict and the step's expectations. */
  judge?(output: unknown, result: InvokeResult): Judgement
}

export type AttemptsOutcome =
  | { ok: true }
  /**
   * unrecorded: the call ran, only its audit record failed; unmet: the call ran and did not do
   * its job (a verdict or an expectation). Neither is retried or dead-lettered.
   */
  | { ok: false; code: string; message: string; unrecorded?: true; unmet?: true }

/**
 * Runs a step's attempts through the gate: a step timeout per attempt, retries with backoff
 * after retryable failures (each waiting durably: the retry time is journaled), and a
 * REQUIRE_APPROVAL that parks the step until a person decides, then calls again with the
 * approval. Cancellation and a run timeout end the step as cancelled or timed out.
 */
export async function runAttempts(rt: StepRuntime, plan: CallPlan): Promise<AttemptsOutcome> {
  const id = rt.step.def.id
  // Waiting on a person, or redoing an approved attempt a crash interrupted (with its approval).
  let approvalId =
    rt.state.status === 'waiting'
      ? rt.state.approval_id
      : rt.state.status === 'retry_wait'
        ? rt.state.interrupted_approval
        : undefined
  for (;;) {
    let attempt = rt.state.attempt + 1
    let traceId = traceIdToKeep()
    try {
      if (rt.state.status === 'retry_wait' && rt.state.retry_at) {
        await restFor(rt, Date.parse(rt.state.retry_at) - rt.deps.clock.now())
      }
      if (approvalId) {
        await awaitDecision(rt, approvalId)
        attempt = rt.state.attempt
      }
      // A slot is held from the start of an attempt to its end: `started` means running.
      const result = await withSlots(rt.slots, rt.signal, async () => {
        let prepared: PreparedCall | undefined
        if (approvalId && rt.state.trace_id) traceId = rt.state.trace_id
        const createdAt =
          approvalId && rt.state.attempt_started_at
            ? Date.parse(rt.state.attempt_started_at)
            : rt.deps.clock.now()
        try {
          prepared = await plan.prepare(attempt, traceId, createdAt)
        } catch (error) {
          return (await fail(rt, toDriftcoreError(error), attempt, undefined, false))!
        }
        if (!prepared) return { ok: false as const, code: 'unavailable', message: 'not delivered' }
        await rt.record({
          type: 'step.started',
          step: id,
          attempt,
          trace_id: traceId,
          ...(prepared.jobId ? { job_id: prepared.jobId } : {}),
          idempotency_key: prepared.idempotencyKey,
          ...(prepared.route ? { route: prepared.route } : {}),
          ...(approvalId ? { approval_id: approvalId } : {}),
          job_created_at: isoTime(createdAt),
        })
        return call(rt, prepared, attempt, traceId, approvalId)
      })
      if ('ok' in result) return result
      approvalId = undefined
      const output = plan.output(result)
      const judgement = plan.judge?.(output, result) ?? {}
      await recordSuccess(rt, attempt, output, result, judgement)
      if (judgement.unmet) return { ok: false, ...judgement.unmet, unmet: true }
      return { ok: true }
    } catch (thrown) {
      if (rt.waitSignal.aborted && !rt.signal.aborted)
        return { ok: false, code: 'suspended', message: 'suspended' }
      const error = toDriftcoreError(thrown)
      if (
        error.code === 'approval_required' &&
        typeof error.details.approval_id === 'string' &&
        !approvalId
      ) {
        approvalId = error.details.approval_id
        await rt.record({
          type: 'step.waiting',
          step: id,
          attempt,
          approval_id: approvalId,
          reason: error.message,
        })
        continue
      }
      approvalId = undefined
      const outcome = await fail(rt, error, attempt, traceId, true)
      if (outcome) return outcome
    }
  }
}

async function call(
  rt: StepRuntime,
  prepared: PreparedCall,
  attempt: number,
  traceId: string,
  approvalId: string | undefined,
): Promise<InvokeResult> {
  const controller = new AbortController()
  const onAbort = () => controller.abort(rt.signal.reason)
  rt.signal.addEventListener('abort', onAbort, { once: true })
  if (rt.signal.aborted) onAbort()
  const timeoutMs = rt.step.timeoutMs
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(
          () =>
            controller.abort(
              new DriftcoreError('timeout', `step ${rt.step.def.id} passed its ${timeoutMs} ms timeout`),
            ),
          timeoutMs,
        )
  try {
    return await rt.deps.gate.invoke(prepared.tool, prepared.input, rt.actor, {
      traceId,
      signal: controller.signal,
      idempotencyKey: prepared.idempotencyKey,
      ...(approvalId ? { approvalId } : {}),
      meta: { run_id: rt.run.run_id, step: rt.step.def.id, attempt, ...prepared.meta },
      onProcess: (pid) => {
        faultKill('process.spawned')
        void rt.record({
          type: 'step.process',
          step: rt.step.def.id,
          attempt,
          pid,
          ...(startTimeOf(pid) ? { start_time: startTimeOf(pid)! } : {}),
        })
      },
    })
  } finally {
    if (timer) clearTimeout(timer)
    rt.signal.removeEventListener('abort', onAbort)
  }
}

/**
 * Records a call that returned: a success, or (when the judgement found the job not done) a
 * failure that keeps the output, so the run shows what the tool said.
 */
async function recordSuccess(
  rt: StepRuntime,
  attempt: number,
  output: unknown,
  result: InvokeResult,
  judgement: Judgement,
) {
  const text = JSON.stringify(output) ?? 'null'
  const big = Buffer.byteLength(text) > rt.deps.inlineMaxBytes
  const artifact = big
    ? await rt.deps.artifacts.put(text, {
        name: `${rt.step.def.id}.output.json`,
        mediaType: 'application/json',
        retention: 'standard',
      })
    : undefined
  // The journal keeps a pointer; the live run keeps the value, as a replay would load it.
  const kept = artifact ? { output_artifact: artifact.uri } : { output }
  const verdict = judgement.verdict ? { verdict: judgement.verdict } : {}
  if (judgement.unmet) {
    await rt.record(
      {
        type: 'step.failed',
        step: rt.step.def.id,
        attempt,
        error: judgement.unmet,
        ...kept,
        ...verdict,
        trace_id: result.trace_id,
        decision: result.decision.decision,
      },
      artifact ? output : undefined,
    )
    return
  }
  await rt.record(
    {
      type: 'step.succeeded',
      step: rt.step.def.id,
      attempt,
      ...kept,
      trace_id: result.trace_id,
      decision: result.decision.decision,
      ...(result.approval ? { approved_by: result.approval.approved_by } : {}),
      duration_ms: result.duration_ms,
      ...verdict,
    },
    artifact ? output : undefined,
  )
}

/**
 * Records a failed attempt. Returns the step's outcome when it is over, or undefined when
 * another attempt follows (after a durable backoff wait).
 */
async function fail(
  rt: StepRuntime,
  error: DriftcoreError,
  attempt: number,
  traceId: string | undefined,
  retryable: boolean,
): Promise<AttemptsOutcome | undefined> {
  const id = rt.step.def.id
  const decision = error.code === 'policy_denied' ? { decision: 'DENY' } : {}
  const trace = traceId ? { trace_id: traceId } : {}
  if (rt.signal.aborted) {
    const reason = abortReason(rt.signal)
    if (reason.code === 'timeout')
      await rt.record({ type: 'step.timed_out', step: id, attempt, error: errorOf(reason), ...trace })
    else await rt.record({ type: 'step.cancelled', step: id, reason: reason.message })
    return { ok: false, code: reason.code, message: reason.message }
  }
  // The call ran and only its record failed: another attempt would do it twice.
  if (error.details.effect === 'unrecorded') retryable = false
  if (retryable && shouldRetry(rt.step.retry, { ...rt.state, attempt }, error.code)) {
    const delay = backoffMs(rt.step.retry, attempt, () => rt.deps.clock.random())
    await rt.record({
      type: 'step.attempt_failed',
      step: id,
      attempt,
      error: errorOf(error),
      retry_at: new Date(rt.deps.clock.now() + delay).toISOString(),
      ...trace,
      ...decision,
    })
    return undefined
  }
  await rt.record({
    type: error.code === 'timeout' ? 'step.timed_out' : 'step.failed',
    step: id,
    attempt,
    error: errorOf(error),
    ...trace,
    ...decision,
  })
  return {
    ok: false,
    code: error.code,
    message: error.message,
    ...(error.details.effect === 'unrecorded' ? { unrecorded: true as const } : {}),
  }
}

function errorOf(error: DriftcoreError): { code: string; message: string } {
  return { code: error.code, message: error.message }
}

// An attempt's trace id stays in the run's state until the run ends. randomUUID builds its text
// by concatenation, which V8 keeps as a tree of pieces: about 480 bytes, against 57 for one flat
// copy (a 50,000-step run kept 20 MB of those trees).
function traceIdToKeep(): string {
  return Buffer.from(randomUUID(), 'latin1').toString('latin1')
}
