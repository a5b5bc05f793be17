import { table } from '../../cli/format.js'
import type { JournalEvent, RunResult } from '../journal/events.js'
import type { RunState, StepState } from '../journal/state.js'
import type { PlanStep } from '../plan/dry-run.js'

/** One human line per journal event: what `workflow run` prints off a TTY and `timeline` shows. */
export function eventLine(event: JournalEvent): string {
  const time = event.at.slice(11, 23)
  const step = 'step' in event ? ` ${event.step}` : ''
  return `${time} ${event.type}${step}${eventDetail(event)}`
}

function eventDetail(e: JournalEvent): string {
  switch (e.type) {
    case 'run.created':
      return ` ${e.run_id} (${e.workflow_name}) by ${e.actor.type}:${e.actor.id}${e.rerun_of ? ` rerun of ${e.rerun_of.run_id} from ${e.rerun_of.from}` : ''}`
    case 'run.attached':
      return ` pid ${e.pid}${e.resumed ? ' (resumed)' : ''}`
    case 'run.submitted':
      return ` to ${e.executor}: ${Object.entries(e.ref)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`
    case 'run.suspended':
      return ` waiting on ${e.waiting_on.join(', ')}`
    case 'run.cancel_requested':
      return ` by ${e.by.type}:${e.by.id}: ${e.reason}`
    case 'run.finished':
      return ` ${e.result?.outcome === 'succeeded_with_warnings' ? 'succeeded with warnings' : e.status}: ${e.summary}`
    case 'run.reopened':
      return ` for ${e.step} (${e.dlq_id})`
    case 'step.started':
      return ` attempt ${e.attempt} ${e.route ?? ''} trace ${e.trace_id}${e.approval_id ? ` with ${e.approval_id}` : ''}`
    case 'step.process':
      return ` pid ${e.pid}`
    case 'step.waiting':
      return e.approval_id ? ` for approval ${e.approval_id}: ${e.reason}` : ` until ${e.until}`
    case 'step.succeeded':
      return `${notice(e.output)}${e.verdict ? `: ${e.verdict.summary}${e.verdict.ok ? '' : ` (${e.verdict.on === 'warn' ? 'warning' : 'ignored'})`}` : ''} attempt ${e.attempt}${decided(e)}${e.duration_ms !== undefined ? ` ${e.duration_ms} ms` : ''}${e.output_artifact ? ` output ${e.output_artifact}` : ''}`
    case 'step.attempt_failed':
      return ` attempt ${e.attempt} ${e.error.code}: ${e.error.message} (retry at ${e.retry_at})`
    case 'step.failed':
    case 'step.timed_out':
      return ` attempt ${e.attempt} ${e.error.code}: ${e.error.message}`
    case 'step.interrupted':
      return ` attempt ${e.attempt}`
    case 'step.dead_lettered':
      return ` ${e.dlq_id} (${e.error_code})`
    case 'step.requeued':
      return ` from ${e.dlq_id} by ${e.by.type}:${e.by.id}`
    case 'step.reused':
      return ` ${e.status} in ${e.from_run}`
    case 'step.skipped':
    case 'step.cancelled':
    case 'step.blocked':
      return `: ${e.reason}`
  }
}

// After a person's approval a step ran APPROVED (by them), not merely REQUIRE_APPROVAL.
function decided(e: { decision?: string; approved_by?: { type: string; id: string } }): string {
  if (e.approved_by) return ` APPROVED by ${e.approved_by.type}:${e.approved_by.id}`
  return e.decision ? ` ${e.decision}` : ''
}

// A notify step's stdout sink: its message is printed with the step's success.
function notice(output: unknown): string {
  const o = output as { message?: unknown; delivered?: { sink: string }[] } | undefined
  if (typeof o?.message !== 'string' || !o.delivered?.some((d) => d.sink === 'stdout')) return ''
  return ` "${o.message}"`
}

export function stepRows(state: RunState, order: readonly string[]) {
  return order.map((id) => {
    const s = state.steps[id]!
    return { step: id, status: s.status, attempt: s.attempt || '', detail: stepDetail(s) }
  })
}

export function stepDetail(s: StepState): string {
  if (s.status === 'waiting') return s.approval_id ? `approval ${s.approval_id}` : `until ${s.until ?? ''}`
  if (s.status === 'retry_wait') return `retry at ${s.retry_at ?? ''}: ${s.error?.message ?? ''}`
  if (s.error && !['succeeded', 'skipped'].includes(s.status))
    return `${s.error.code}: ${s.error.message.split('\n')[0]}${s.dlq_id ? ` (${s.dlq_id})` : ''}`
  if (s.reused_from) return `reused from ${s.reused_from}`
  return s.reason ?? ''
}

export function statusText(state: RunState, order: readonly string[], owner?: { pid: number }): string {
  const live = owner
    ? ` (process ${owner.pid})`
    : state.status === 'running'
      ? ' (interrupted: resume it)'
      : ''
  const where = state.remote
    ? `  on ${state.remote.executor} ${state.remote.ref.namespace ? `${state.remote.ref.namespace}/` : ''}${state.remote.ref.name ?? ''}`
    : ''
  return [
    `${state.run_id}  ${state.workflow_name}  ${state.status}${live}${where}`,
    state.summary ? state.summary : '',
    table(stepRows(state, order), ['step', 'status', 'attempt', 'detail']),
    state.result ? resultText(state.result) : '',
  ]
    .filter(Boolean)
    .join('\n')
}

/**
 * The run's result in words, as `workflow run` and `workflow status` end: the outcome, then one
 * line per finding, failures and warnings marked.
 */
export function resultText(result: RunResult): string {
  const outcome = result.outcome === 'succeeded_with_warnings' ? 'succeeded with warnings' : result.outcome
  return [
    `result: ${outcome}`,
    ...result.findings.map((f) => `  ${f.level === 'info' ? '' : `[${f.level}] `}${f.step}: ${f.text}`),
  ].join('\n')
}

export function planText(plan: readonly PlanStep[]): string {
  return table(
    plan.map((p) => ({
      step: p.step,
      type: p.type,
      plan: p.action.replace('_', ' '),
      target: p.target ?? '',
      reason: `${p.reason}${p.input_known ? '' : ' (input known at run time)'}`,
    })),
    ['step', 'type', 'plan', 'target', 'reason'],
  )
}

/** What the user should do next, after a run stops. */
export function nextStep(state: RunState): string | undefined {
  if (state.status === 'suspended') {
    const approvals = Object.values(state.steps)
      .map((s) => (s.status === 'waiting' ? s.approval_id : undefined))
      .filter(Boolean)
    const approve = approvals.map((id) => `\`driftcore approvals approve ${id} --run\``).join(', ')
    return `suspended, waiting for ${approvals.join(', ')}: a person runs ${approve} (which resumes the run), or approves and then runs \`driftcore workflow resume ${state.run_id}\``
  }
  if (state.status === 'failed') {
    const dlq = Object.values(state.steps).find((s) => s.dlq_id)?.dlq_id
    return dlq
      ? `see \`driftcore workflow timeline ${state.run_id}\`; retry the dead-lettered job with \`driftcore dlq retry ${dlq}\``
      : `see \`driftcore workflow timeline ${state.run_id}\`; rerun from a step with \`driftcore workflow rerun ${state.run_id} --from STEP\``
  }
  return undefined
}
