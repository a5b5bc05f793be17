import { templatesOf } from '../../format/compile.js'
import { DriftcoreError, toDriftcoreError } from '../../../errors/driftcore-error.js'
import { canonicalHash } from '../../../store/hash.js'
import { durationMs } from '../../format/duration.js'
import type { ApprovalStep, DelayStep, NotifyStep } from '../../format/schema.js'
import { evaluateCel } from '../../expr/template.js'
import { abortReason } from '../clock.js'
import { judge } from '../judge.js'
import type { StepRuntime } from '../runtime.js'
import { restFor, Suspended } from '../runtime.js'
import { runAttempts } from './attempts.js'
import { awaitDecision } from './await-decision.js'

/** A condition step: its CEL expression's boolean is its output. */
export async function runCondition(rt: StepRuntime): Promise<void> {
  const id = rt.step.def.id
  try {
    const value = evaluateCel(rt.step.expression!, rt.context(), `step ${id}: expression`)
    if (typeof value !== 'boolean')
      throw new DriftcoreError(
        'invalid_input',
        `step ${id}: expression gave ${JSON.stringify(value)}, not a boolean`,
      )
    const { unmet } = judge(id, value, rt.context(), { expectations: rt.step.expectations })
    if (unmet) await rt.record({ type: 'step.failed', step: id, attempt: 1, error: unmet, output: value })
    else await rt.record({ type: 'step.succeeded', step: id, attempt: 1, output: value })
  } catch (error) {
    await rt.record({ type: 'step.failed', step: id, attempt: 1, error: errorOf(error) })
  }
}

/** A delay step: a timer whose deadline is journaled, so a resumed run keeps it. */
export async function runDelay(rt: StepRuntime): Promise<void> {
  const def = rt.step.def as DelayStep
  const id = def.id
  let until = rt.state.until
  if (!until) {
    try {
      until =
        def.duration !== undefined
          ? new Date(rt.deps.clock.now() + durationMs(def.duration)).toISOString()
          : parseInstant(templatesOf(rt.step).until!.evaluate(rt.context()), id)
    } catch (error) {
      await rt.record({ type: 'step.failed', step: id, attempt: 1, error: errorOf(error) })
      return
    }
    await rt.record({ type: 'step.waiting', step: id, attempt: 1, until, reason: `until ${until}` })
  }
  try {
    await restFor(rt, Date.parse(until) - rt.deps.clock.now())
  } catch {
    return endByRun(rt)
  }
  await rt.record({ type: 'step.succeeded', step: id, attempt: 1, output: { until } })
}

/** An approval step: a person decides; the run may be suspended meanwhile. */
export async function runApproval(rt: StepRuntime): Promise<void> {
  const def = rt.step.def as ApprovalStep
  const id = def.id
  const subject = `workflow:${rt.run.workflow_name}/${id}`
  let approvalId = rt.state.approval_id
  try {
    const message = String(templatesOf(rt.step).message!.evaluate(rt.context()))
    const inputHash = canonicalHash({ run_id: rt.run.run_id, step: id, message })
    if (!approvalId) {
      const request = await rt.deps.approvals.requestDecision({
        subject,
        inputHash,
        inputSummary: message,
        requester: rt.actor,
        reason: message,
        ...(def.approvers ? { approvers: def.approvers } : {}),
        traceId: rt.run.trace_id,
        ...(rt.step.timeoutMs ? { ttlMs: rt.step.timeoutMs } : {}),
        workflow: { run_id: rt.run.run_id, step: id },
      })
      approvalId = request.id
      await rt.record({
        type: 'step.waiting',
        step: id,
        attempt: 1,
        approval_id: approvalId,
        reason: message,
      })
    }
    const decided = await awaitDecision(rt, approvalId)
    if (decided.status === 'approved')
      await rt.deps.approvals.consume(approvalId, {
        tool: subject,
        inputHash,
        actor: rt.actor,
        workflow: { run_id: rt.run.run_id, step: id },
      })
    await rt.record({
      type: 'step.succeeded',
      step: id,
      attempt: 1,
      output: {
        approved: true,
        approval_id: approvalId,
        ...(decided.decided_by ? { decided_by: decided.decided_by } : {}),
        ...(decided.comment ? { comment: decided.comment } : {}),
      },
    })
  } catch (error) {
    if (error instanceof Suspended || rt.waitSignal.aborted) return endByRun(rt)
    const e = toDriftcoreError(error)
    await rt.record({
      type: e.code === 'timeout' ? 'step.timed_out' : 'step.failed',
      step: id,
      attempt: 1,
      error: errorOf(e),
    })
  }
}

/** A notify step: the workflow.notify tool through the gate (decided and audited); stdout is the view's. */
export async function runNotify(rt: StepRuntime): Promise<void> {
  const def = rt.step.def as NotifyStep
  let message = ''
  await runAttempts(rt, {
    async prepare(attempt) {
      const context = rt.context()
      const templates = templatesOf(rt.step)
      message = String(templates.message!.evaluate(context))
      const data = templates.data?.evaluate(context) as Record<string, unknown> | undefined
      return {
        tool: 'workflow.notify',
        input: { message, sinks: def.sinks, ...(data ? { data } : {}), run_id: rt.run.run_id, step: def.id },
        idempotencyKey: `${rt.run.run_id}/${def.id}/${attempt}`,
        route: 'tool:workflow.notify',
      }
    },
    output: (result) => ({ message, ...(result.output as object) }),
  })
}

// A wait that ended because the run did: cancelled or timed out is recorded; a suspension is not.
async function endByRun(rt: StepRuntime): Promise<void> {
  if (!rt.signal.aborted) return
  const reason = abortReason(rt.signal)
  const id = rt.step.def.id
  if (reason.code === 'timeout')
    await rt.record({ type: 'step.timed_out', step: id, attempt: 1, error: errorOf(reason) })
  else await rt.record({ type: 'step.cancelled', step: id, reason: reason.message })
}

function parseInstant(value: unknown, id: string): string {
  const time = typeof value === 'string' ? Date.parse(value) : NaN
  if (Number.isNaN(time))
    throw new DriftcoreError(
      'invalid_input',
      `step ${id}: until gave ${JSON.stringify(value)}, not an ISO 8601 time`,
    )
  return new Date(time).toISOString()
}

function errorOf(error: unknown): { code: string; message: string } {
  const e = toDriftcoreError(error)
  return { code: e.code, message: e.message }
}
