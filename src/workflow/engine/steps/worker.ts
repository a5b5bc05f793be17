import { templatesOf } from '../../format/compile.js'
import { DriftcoreError } from '../../../errors/driftcore-error.js'
import type { WorkerStep } from '../../format/schema.js'
import { buildEnvelope, type JobEnvelope } from '../../job/envelope.js'
import { routeTopic } from '../../pools/route.js'
import type { StepRuntime } from '../runtime.js'
import { runAttempts } from './attempts.js'
import { judge } from '../judge.js'

/**
 * A worker step: every attempt is a versioned job envelope, delivered through the gate to the
 * step's tool, or routed by topic to a pool's tool or external command. A job no pool can take,
 * or one that failed its last attempt, goes to the dead-letter queue.
 */
export async function runWorker(rt: StepRuntime): Promise<void> {
  const def = rt.step.def as WorkerStep
  const id = def.id
  let job: JobEnvelope | undefined
  let viaCommand = false
  const outcome = await runAttempts(rt, {
    async prepare(attempt, traceId, createdAt) {
      const context = rt.context()
      const templates = templatesOf(rt.step)
      const input = templates.with!.evaluate(context)
      const idempotencyKey = templates.key
        ? String(templates.key.evaluate(context))
        : `${rt.run.run_id}/${id}/${attempt}`
      job = buildEnvelope({
        runId: rt.run.run_id,
        step: id,
        attempt,
        traceId,
        topic: def.tool ?? def.topic!,
        tenant: rt.deps.tenant,
        actor: rt.actor,
        idempotencyKey,
        meta: def.meta,
        input,
        now: createdAt,
      })
      const common = { idempotencyKey, jobId: job.id, meta: { job: job.id } }
      if (def.tool) return { ...common, tool: def.tool, input, route: `tool:${def.tool}` }
      const route = routeTopic(def.topic!, def.meta?.requires ?? [], rt.deps.pools)
      if (route.kind === 'none') {
        await rt.record({
          type: 'step.failed',
          step: id,
          attempt,
          error: { code: 'unavailable', message: `job ${job.id} was not delivered: ${route.reason}` },
        })
        await deadLetter(rt, job, 'no_pool_mapping', route.reason, 'queued')
        return undefined
      }
      if (route.kind === 'tool')
        return { ...common, tool: route.tool, input, route: `pool:${route.pool} → tool:${route.tool}` }
      viaCommand = true
      return {
        ...common,
        tool: 'pool.exec',
        input: { pool: route.pool, job },
        route: `pool:${route.pool} → command`,
      }
    },
    output(result) {
      const output = viaCommand ? (result.output as { output: unknown }).output : result.output
      const problems = rt.step.output?.(output) ?? []
      if (problems.length > 0)
        throw new DriftcoreError(
          'invalid_input',
          `step ${id}: output does not match its schema:\n  ${problems.join('\n  ')}`,
        )
      return output
    },
    judge: (output, result) =>
      judge(id, output, rt.context(), {
        expectations: rt.step.expectations,
        onVerdict: def.on_verdict,
        ...(viaCommand ? {} : { verdictOf: () => rt.deps.verdictOf?.(result.tool, output) }),
      }),
  })
  const status = rt.state.status
  // A job whose effect happened (only its audit record failed) is not dead-lettered: a retry
  // from the DLQ would do it again.
  if (
    !outcome.ok &&
    job &&
    (status === 'failed' || status === 'timed_out') &&
    !rt.state.dlq_id &&
    !outcome.unrecorded &&
    !outcome.unmet
  )
    await deadLetter(rt, job, outcome.code, outcome.message, status)
}

async function deadLetter(
  rt: StepRuntime,
  job: JobEnvelope,
  code: string,
  message: string,
  lastState: string,
): Promise<void> {
  const entry = await rt.deps.deadLetters.add(
    rt.deps.redactor.redact({
      run_id: rt.run.run_id,
      step: rt.step.def.id,
      topic: job.topic,
      error_code: code,
      error_message: message,
      last_state: lastState,
      attempts: rt.state.attempt,
      job,
    }),
  )
  await rt.record({ type: 'step.dead_lettered', step: rt.step.def.id, dlq_id: entry.id, error_code: code })
}
