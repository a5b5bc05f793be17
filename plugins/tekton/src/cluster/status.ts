import { createHash } from 'node:crypto'
import { z } from 'zod'

/** The state of a run or of one of its tasks, in driftcore's words. */
export const RUN_STATES = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'skipped',
] as const
export type RunStateName = (typeof RUN_STATES)[number]

export const taskStatusSchema = z.lazy(() =>
  z.object({
    task: z.string().describe('the pipeline task name'),
    status: z.enum(RUN_STATES),
    reason: z
      .string()
      .optional()
      .describe("Tekton's reason: Running, Succeeded, Failed, TaskRunCancelled, TaskRunTimeout…"),
    message: z.string().optional(),
    task_run: z.string().optional(),
    pod: z.string().optional(),
    started_at: z.string().optional(),
    completed_at: z.string().optional(),
    /** Attempts that failed and were retried. */
    retries: z.number().int(),
    results: z.record(z.string(), z.string()).optional(),
    finally: z.boolean(),
  }),
)

export const runStatusSchema = z.lazy(() =>
  z.object({
    namespace: z.string(),
    name: z.string(),
    uid: z.string().optional(),
    status: z.enum(RUN_STATES),
    reason: z
      .string()
      .optional()
      .describe('Started, Running, Succeeded, Completed, Failed, Cancelled, PipelineRunTimeout…'),
    message: z.string().optional(),
    started_at: z.string().optional(),
    completed_at: z.string().optional(),
    tasks: z.array(taskStatusSchema),
    /** Changes whenever the run or a task changes state: `since` for the next watch. */
    fingerprint: z.string(),
  }),
)

export type TaskStatus = z.output<typeof taskStatusSchema>
export type RunStatus = z.output<typeof runStatusSchema>

export interface KubeObjectLike {
  metadata?: { name?: string; namespace?: string; uid?: string; labels?: Record<string, string> }
  spec?: Record<string, unknown>
  status?: Record<string, unknown>
}

interface Condition {
  type?: string
  status?: string
  reason?: string
  message?: string
}

function succeeded(object: KubeObjectLike): Condition | undefined {
  return ((object.status?.conditions ?? []) as Condition[]).find((c) => c.type === 'Succeeded')
}

// Tekton's Succeeded condition, read as a state (https://tekton.dev/docs/pipelines/pipelineruns/#monitoring-execution-status):
// Unknown is still going (Pending: no pod yet), True succeeded, False says how it ended by its reason.
function stateOf(c: Condition | undefined): RunStateName {
  if (!c) return 'pending'
  if (c.status === 'Unknown')
    return c.reason === 'Pending' || c.reason === 'PipelineRunPending' ? 'pending' : 'running'
  if (c.status === 'True') return 'succeeded'
  if (/Cancelled|StoppedRunFinally/.test(c.reason ?? '')) return 'cancelled'
  if (/Timeout/.test(c.reason ?? '')) return 'timed_out'
  return 'failed'
}

const optional = (key: string, value: unknown) =>
  typeof value === 'string' && value !== '' ? { [key]: value } : {}

/**
 * A PipelineRun and its TaskRuns as one status: the run's state and each pipeline task's (from
 * the pipeline spec, so tasks not started yet are listed as pending and skipped ones as skipped).
 */
export function summarize(run: KubeObjectLike, taskRuns: KubeObjectLike[]): RunStatus {
  const spec = (run.status?.pipelineSpec ?? run.spec?.pipelineSpec ?? {}) as {
    tasks?: { name: string }[]
    finally?: { name: string }[]
  }
  const byTask = new Map<string, KubeObjectLike>()
  for (const tr of taskRuns) {
    const task = tr.metadata?.labels?.['tekton.dev/pipelineTask']
    if (task) byTask.set(task, tr)
  }
  const skipped = new Map(
    ((run.status?.skippedTasks ?? []) as { name: string; reason?: string }[]).map((s) => [s.name, s]),
  )
  const names = [
    ...(spec.tasks ?? []).map((t) => ({ name: t.name, finally: false })),
    ...(spec.finally ?? []).map((t) => ({ name: t.name, finally: true })),
  ]
  for (const name of byTask.keys())
    if (!names.some((n) => n.name === name))
      names.push({ name, finally: byTask.get(name)!.metadata?.labels?.['tekton.dev/memberOf'] === 'finally' })
  const tasks: TaskStatus[] = names.map(({ name, finally: fin }) => {
    const tr = byTask.get(name)
    const skip = skipped.get(name)
    if (!tr)
      return {
        task: name,
        status: skip ? 'skipped' : 'pending',
        ...optional('reason', skip?.reason),
        retries: 0,
        finally: fin,
      }
    const c = succeeded(tr)
    const results = (tr.status?.results ?? []) as { name: string; value: unknown }[]
    return {
      task: name,
      status: stateOf(c),
      ...optional('reason', c?.reason),
      ...optional('message', c?.message),
      ...optional('task_run', tr.metadata?.name),
      ...optional('pod', tr.status?.podName),
      ...optional('started_at', tr.status?.startTime),
      ...optional('completed_at', tr.status?.completionTime),
      retries: ((tr.status?.retriesStatus ?? []) as unknown[]).length,
      ...(results.length
        ? {
            results: Object.fromEntries(
              results.map((r) => [r.name, typeof r.value === 'string' ? r.value : JSON.stringify(r.value)]),
            ),
          }
        : {}),
      finally: fin,
    }
  })
  const c = succeeded(run)
  const status = stateOf(c)
  const core = {
    namespace: run.metadata?.namespace ?? '',
    name: run.metadata?.name ?? '',
    ...optional('uid', run.metadata?.uid),
    status,
    ...optional('reason', c?.reason),
    ...optional('message', c?.message),
    ...optional('started_at', run.status?.startTime),
    ...optional('completed_at', run.status?.completionTime),
    tasks,
  }
  return { ...core, fingerprint: fingerprint(core) }
}

function fingerprint(s: Omit<RunStatus, 'fingerprint'>): string {
  const key = [s.status, s.reason, ...s.tasks.map((t) => `${t.task}:${t.status}:${t.retries}`)].join('|')
  return createHash('sha256').update(key).digest('hex').slice(0, 16)
}

export const FINISHED: ReadonlySet<RunStateName> = new Set(['succeeded', 'failed', 'cancelled', 'timed_out'])
