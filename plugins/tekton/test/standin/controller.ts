import type { KubeObject, ObjectStore } from './store.js'

/** What a task's pod does in the stand-in: finish after some ticks, fail, or run until stopped. */
export interface TaskBehaviour {
  outcome: 'succeed' | 'fail' | 'hang'
  /** Controller ticks the pod runs before it ends (default 1). */
  ticks?: number
  /** What each step container prints (by step name, or one text for all). */
  logs?: string | Record<string, string>
  results?: Record<string, string>
  message?: string
}

export interface TaskAttempt {
  namespace: string
  pipelineRun: string
  pipelineTask: string
  taskRun: string
  /** 0 for the first attempt, then one per retry. */
  retry: number
  params: Record<string, string>
  steps: { name: string; image?: string; command?: string[]; args?: string[]; script?: string }[]
}

export type Kubelet = (attempt: TaskAttempt) => TaskBehaviour

type Condition = {
  type: string
  status: 'True' | 'False' | 'Unknown'
  reason: string
  message: string
  lastTransitionTime: string
}
type PipelineTask = {
  name: string
  runAfter?: string[]
  taskRef?: { name?: string; kind?: string }
  taskSpec?: Record<string, unknown>
  params?: { name: string; value: unknown }[]
  when?: { input?: string; operator?: string; values?: string[]; cel?: string }[]
  retries?: number
  timeout?: string
}
type PipelineSpec = {
  tasks?: PipelineTask[]
  finally?: PipelineTask[]
  params?: { name: string; default?: unknown }[]
  results?: { name: string; value: unknown }[]
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z')
const CANCEL = new Set(['Cancelled', 'CancelledRunFinally', 'StoppedRunFinally'])

export function condition(object: KubeObject): Condition | undefined {
  const conditions = (object.status?.conditions ?? []) as Condition[]
  return conditions.find((c) => c.type === 'Succeeded')
}

function setCondition(
  object: KubeObject,
  status: Condition['status'],
  reason: string,
  message: string,
): void {
  const prior = condition(object)
  if (prior && prior.status === status && prior.reason === reason && prior.message === message) return
  object.status = {
    ...object.status,
    conditions: [{ type: 'Succeeded', status, reason, message, lastTransitionTime: now() }],
  }
}

const done = (object: KubeObject | undefined) => {
  const c = object && condition(object)
  return c !== undefined && c.status !== 'Unknown'
}

/** Go durations as Tekton writes them: 1h30m, 45s, 500ms; "0" is no timeout. */
export function durationMs(text: unknown): number | undefined {
  if (typeof text !== 'string' || text === '0' || text === '0s') return undefined
  let ms = 0
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    const n = Number(m[1])
    ms += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n
  }
  return ms || undefined
}

function substitute(
  value: string,
  params: Record<string, string>,
  results: Record<string, Record<string, string>>,
  states: Record<string, string> = {},
): string {
  return value
    .replace(/\$\(tasks\.([a-z0-9-]+)\.status\)/g, (m, t: string) => states[t] ?? m)
    .replace(/\$\(params\.([A-Za-z0-9_.-]+)\)/g, (m, name: string) => params[name] ?? m)
    .replace(
      /\$\(tasks\.([a-z0-9-]+)\.results\.([A-Za-z0-9_.-]+)\)/g,
      (m, t: string, r: string) => results[t]?.[r] ?? m,
    )
}

// The tasks a pipeline task waits for: runAfter, and any task whose results it reads.
function dependencies(task: PipelineTask): string[] {
  const deps = new Set(task.runAfter ?? [])
  for (const m of JSON.stringify(task).matchAll(/\$\(tasks\.([a-z0-9-]+)\.results\./g)) deps.add(m[1]!)
  return [...deps]
}

/**
 * The Tekton controller and kubelet of the stand-in: each tick moves every PipelineRun and
 * TaskRun one step through the states Tekton documents (Started, Running, then Succeeded,
 * Completed, Failed, Cancelled, PipelineRunTimeout…), creating one TaskRun per pipeline task
 * once the tasks it runs after succeeded, and a pod per TaskRun whose logs it serves.
 */
export class TektonController {
  /** Pod name → container → log text. */
  readonly logs = new Map<string, Map<string, string>>()
  private readonly behaviour = new Map<string, { b: TaskBehaviour; left: number }>()

  constructor(
    private readonly store: ObjectStore,
    private readonly kubelet: Kubelet,
    private readonly validate: (plural: string, object: KubeObject) => void,
  ) {}

  tick(): void {
    for (const pr of this.store.list('pipelineruns', {})) if (!done(pr)) this.reconcileRun(pr)
    for (const tr of this.store.list('taskruns', {})) if (!done(tr)) this.reconcileTask(tr)
  }

  private save(plural: string, object: KubeObject, before: string): void {
    if (JSON.stringify(object) !== before) this.store.update(plural, object)
  }

  private pipelineSpec(pr: KubeObject): PipelineSpec | string {
    const spec = pr.spec ?? {}
    if (spec.pipelineSpec) return spec.pipelineSpec
    const ref = (spec.pipelineRef ?? {}) as { name?: string }
    const pipeline = ref.name ? this.store.get('pipelines', pr.metadata.namespace, ref.name) : undefined
    if (!pipeline) return `Pipeline ${pr.metadata.namespace}/${ref.name ?? '?'} can't be found`
    return pipeline.spec ?? {}
  }

  private params(pr: KubeObject, spec: PipelineSpec): Record<string, string> | string {
    const given = new Map(
      ((pr.spec?.params ?? []) as { name: string; value: unknown }[]).map((p) => [p.name, p.value]),
    )
    const out: Record<string, string> = {}
    for (const p of spec.params ?? []) {
      const value = given.has(p.name) ? given.get(p.name) : p.default
      if (value === undefined) return `PipelineRun missing parameters: [${p.name}]`
      out[p.name] = typeof value === 'string' ? value : JSON.stringify(value)
    }
    return out
  }

  private reconcileRun(pr: KubeObject): void {
    const before = JSON.stringify(pr)
    const ns = pr.metadata.namespace
    const spec = this.pipelineSpec(pr)
    if (typeof spec === 'string') {
      pr.status = { ...pr.status, startTime: now(), completionTime: now() }
      setCondition(pr, 'False', 'CouldntGetPipeline', spec)
      return this.save('pipelineruns', pr, before)
    }
    const params = this.params(pr, spec)
    if (typeof params === 'string') {
      pr.status = { ...pr.status, startTime: now(), completionTime: now() }
      setCondition(pr, 'False', 'ParameterMissing', params)
      return this.save('pipelineruns', pr, before)
    }
    if (!pr.status?.startTime) {
      pr.status = { startTime: now(), pipelineSpec: spec, childReferences: [] }
      setCondition(pr, 'Unknown', 'Started', '')
      return this.save('pipelineruns', pr, before)
    }
    const tasks = spec.tasks ?? []
    const finals = spec.finally ?? []
    const children = new Map<string, KubeObject>()
    for (const tr of this.store.list('taskruns', {
      namespace: ns,
      labels: `tekton.dev/pipelineRun=${pr.metadata.name}`,
    }))
      children.set(tr.metadata.labels!['tekton.dev/pipelineTask']!, tr)
    const skipped = new Map(
      ((pr.status.skippedTasks ?? []) as { name: string; reason: string }[]).map((s) => [s.name, s]),
    )
    const state = (name: string) => {
      if (skipped.has(name)) return 'skipped'
      const c = children.get(name) && condition(children.get(name)!)
      if (!c) return children.has(name) ? 'running' : 'none'
      if (c.status === 'True') return 'succeeded'
      if (c.status === 'Unknown') return 'running'
      return c.reason === 'TaskRunCancelled' ? 'cancelled' : 'failed'
    }
    const results: Record<string, Record<string, string>> = {}
    for (const [name, tr] of children)
      results[name] = Object.fromEntries(
        ((tr.status?.results ?? []) as { name: string; value: string }[]).map((r) => [r.name, r.value]),
      )
    const running = [...children.keys()].filter((n) => state(n) === 'running')
    const cancelled = typeof pr.spec?.status === 'string' && CANCEL.has(pr.spec.status)
    const timeout = durationMs((pr.spec?.timeouts as { pipeline?: string } | undefined)?.pipeline)
    const timedOut = timeout !== undefined && Date.now() - Date.parse(pr.status.startTime as string) > timeout
    const stopNotStarted = (reason: string) => {
      for (const t of [...tasks, ...finals])
        if (state(t.name) === 'none') skipped.set(t.name, { name: t.name, reason })
    }
    if (cancelled || timedOut) {
      for (const name of running) {
        const tr = children.get(name)!
        if (tr.spec?.status !== 'TaskRunCancelled') {
          tr.spec = {
            ...tr.spec,
            status: 'TaskRunCancelled',
            statusMessage: timedOut
              ? 'TaskRun cancelled as the PipelineRun it belongs to has timed out.'
              : 'TaskRun cancelled as the PipelineRun it belongs to has been cancelled.',
          }
          this.store.update('taskruns', tr)
        }
      }
      if (running.length === 0) {
        stopNotStarted(timedOut ? 'PipelineRun timeout has been reached' : 'PipelineRun was stopping')
        this.finish(
          pr,
          skipped,
          'False',
          timedOut ? 'PipelineRunTimeout' : 'Cancelled',
          timedOut
            ? `PipelineRun "${pr.metadata.name}" failed to finish within "${(pr.spec?.timeouts as { pipeline: string }).pipeline}"`
            : `PipelineRun "${pr.metadata.name}" was cancelled`,
        )
      }
      return this.save('pipelineruns', pr, before)
    }
    const failed = [...children.keys()].some((n) => state(n) === 'failed')
    const start = (task: PipelineTask, finalTask: boolean) => {
      const when = task.when ?? []
      const falseWhen = when.some((w) => {
        if (w.cel !== undefined || w.input === undefined) return false
        const states = Object.fromEntries(
          [...tasks, ...finals].map((t) => {
            const st = state(t.name)
            return [t.name, st === 'succeeded' ? 'Succeeded' : st === 'failed' ? 'Failed' : 'None']
          }),
        )
        const input = substitute(w.input, params, results, states)
        const inValues = (w.values ?? []).map((v) => substitute(v, params, results, states)).includes(input)
        return w.operator === 'notin' ? inValues : !inValues
      })
      if (falseWhen) {
        skipped.set(task.name, {
          name: task.name,
          reason: 'When Expressions evaluated to false',
          ...(when.length ? { whenExpressions: when } : {}),
        })
        return
      }
      const missing = dependencies(task).find(
        (d) => state(d) === 'skipped' && JSON.stringify(task).includes(`$(tasks.${d}.results.`),
      )
      if (missing) {
        skipped.set(task.name, { name: task.name, reason: 'Results were missing' })
        return
      }
      this.createTaskRun(pr, task, params, results, finalTask)
    }
    if (!failed) {
      for (const t of tasks)
        if (
          state(t.name) === 'none' &&
          dependencies(t).every((d) => ['succeeded', 'skipped'].includes(state(d)))
        )
          start(t, false)
    } else stopNotStarted('PipelineRun was stopping')
    const mainDone = tasks.every((t) =>
      ['succeeded', 'skipped', 'failed', 'cancelled'].includes(state(t.name)),
    )
    if (mainDone && running.length === 0) for (const t of finals) if (state(t.name) === 'none') start(t, true)
    const all = [...tasks, ...finals]
    const counts = { completed: 0, failed: 0, cancelled: 0, skipped: 0, incomplete: 0 }
    for (const t of all) {
      const s = state(t.name)
      if (s === 'succeeded') counts.completed++
      else if (s === 'failed') {
        counts.completed++
        counts.failed++
      } else if (s === 'cancelled') {
        counts.completed++
        counts.cancelled++
      } else if (s === 'skipped') counts.skipped++
      else counts.incomplete++
    }
    pr.status = { ...pr.status, skippedTasks: [...skipped.values()] }
    if ((pr.status.skippedTasks as unknown[]).length === 0) delete pr.status.skippedTasks
    const message = `Tasks Completed: ${counts.completed} (Failed: ${counts.failed}, Cancelled ${counts.cancelled}), ${counts.incomplete ? `Incomplete: ${counts.incomplete}, ` : ''}Skipped: ${counts.skipped}`
    if (counts.incomplete === 0) {
      if (counts.failed > 0) this.finish(pr, skipped, 'False', 'Failed', message)
      else this.finish(pr, skipped, 'True', counts.skipped > 0 ? 'Completed' : 'Succeeded', message)
    } else if (children.size > 0) setCondition(pr, 'Unknown', 'Running', message)
    this.save('pipelineruns', pr, before)
  }

  private finish(
    pr: KubeObject,
    skipped: Map<string, unknown>,
    status: 'True' | 'False',
    reason: string,
    message: string,
  ) {
    pr.status = {
      ...pr.status,
      completionTime: now(),
      ...(skipped.size ? { skippedTasks: [...skipped.values()] } : {}),
    }
    setCondition(pr, status, reason, message)
  }

  private createTaskRun(
    pr: KubeObject,
    task: PipelineTask,
    params: Record<string, string>,
    results: Record<string, Record<string, string>>,
    finalTask: boolean,
  ) {
    const ns = pr.metadata.namespace
    const name = `${pr.metadata.name}-${task.name}`.slice(0, 63).replace(/-+$/, '')
    const pipelineName = ((pr.spec?.pipelineRef ?? {}) as { name?: string }).name ?? pr.metadata.name
    const tr: KubeObject = {
      apiVersion: 'tekton.dev/v1',
      kind: 'TaskRun',
      metadata: {
        name,
        namespace: ns,
        labels: {
          'app.kubernetes.io/managed-by': 'tekton-pipelines',
          'tekton.dev/pipeline': pipelineName,
          'tekton.dev/pipelineRun': pr.metadata.name,
          'tekton.dev/pipelineTask': task.name,
          'tekton.dev/memberOf': finalTask ? 'finally' : 'tasks',
        },
        ownerReferences: [
          {
            apiVersion: 'tekton.dev/v1',
            kind: 'PipelineRun',
            name: pr.metadata.name,
            uid: pr.metadata.uid!,
            controller: true,
          },
        ],
      },
      spec: {
        ...(task.taskSpec
          ? { taskSpec: JSON.parse(substitute(JSON.stringify(task.taskSpec), params, results)) as unknown }
          : {}),
        ...(task.taskRef ? { taskRef: task.taskRef } : {}),
        params: (task.params ?? []).map((p) => ({
          name: p.name,
          value: typeof p.value === 'string' ? substitute(p.value, params, results) : p.value,
        })),
        ...(task.retries ? { retries: task.retries } : {}),
        ...(task.timeout ? { timeout: task.timeout } : {}),
        ...(pr.spec?.taskRunTemplate &&
        (pr.spec.taskRunTemplate as { serviceAccountName?: string }).serviceAccountName
          ? {
              serviceAccountName: (pr.spec.taskRunTemplate as { serviceAccountName: string })
                .serviceAccountName,
            }
          : {}),
      },
    }
    this.validate('taskruns', tr)
    this.store.create('taskruns', tr)
    pr.status = {
      ...pr.status,
      childReferences: [
        ...((pr.status?.childReferences ?? []) as unknown[]),
        { apiVersion: 'tekton.dev/v1', kind: 'TaskRun', name, pipelineTaskName: task.name },
      ],
    }
  }

  private taskSteps(tr: KubeObject): TaskAttempt['steps'] {
    const spec = (tr.spec?.taskSpec ??
      this.store.get(
        'tasks',
        tr.metadata.namespace,
        ((tr.spec?.taskRef ?? {}) as { name?: string }).name ?? '',
      )?.spec ??
      {}) as { steps?: TaskAttempt['steps'] }
    return (spec.steps ?? []).map((s, i) => ({ ...s, name: s.name || `unnamed-${i}` }))
  }

  private reconcileTask(tr: KubeObject): void {
    const before = JSON.stringify(tr)
    const ns = tr.metadata.namespace
    const labels = tr.metadata.labels ?? {}
    const retry = ((tr.status?.retriesStatus ?? []) as unknown[]).length
    const pod = `${tr.metadata.name}-pod${retry ? `-retry${retry}` : ''}`
    const steps = this.taskSteps(tr)
    const c = condition(tr)
    if (tr.spec?.status === 'TaskRunCancelled') {
      this.endPod(pod, 'Failed')
      tr.status = { ...tr.status, completionTime: now() }
      setCondition(
        tr,
        'False',
        'TaskRunCancelled',
        `TaskRun "${tr.metadata.name}" was cancelled. ${typeof tr.spec.statusMessage === 'string' ? tr.spec.statusMessage : ''}`.trim(),
      )
      return this.save('taskruns', tr, before)
    }
    if (!c) {
      tr.status = { ...tr.status, podName: pod, startTime: now() }
      setCondition(tr, 'Unknown', 'Pending', 'Pending')
      this.createPod(tr, pod, steps)
      return this.save('taskruns', tr, before)
    }
    const timeout = durationMs(tr.spec?.timeout)
    if (timeout !== undefined && Date.now() - Date.parse(tr.status!.startTime as string) > timeout) {
      this.endPod(pod, 'Failed')
      tr.status = { ...tr.status, completionTime: now() }
      setCondition(
        tr,
        'False',
        'TaskRunTimeout',
        `TaskRun "${tr.metadata.name}" failed to finish within "${String(tr.spec?.timeout)}"`,
      )
      return this.save('taskruns', tr, before)
    }
    if (c.reason === 'Pending') {
      const params = Object.fromEntries(
        ((tr.spec?.params ?? []) as { name: string; value: unknown }[]).map((p) => [
          p.name,
          typeof p.value === 'string' ? p.value : JSON.stringify(p.value),
        ]),
      )
      const b = this.kubelet({
        namespace: ns!,
        pipelineRun: labels['tekton.dev/pipelineRun'] ?? '',
        pipelineTask: labels['tekton.dev/pipelineTask'] ?? '',
        taskRun: tr.metadata.name,
        retry,
        params,
        steps,
      })
      this.behaviour.set(pod, { b, left: b.ticks ?? 1 })
      this.setPodPhase(pod, 'Running')
      setCondition(tr, 'Unknown', 'Running', 'Not all Steps in the Task have finished executing')
      return this.save('taskruns', tr, before)
    }
    const running = this.behaviour.get(pod)
    if (!running || running.b.outcome === 'hang' || --running.left > 0) return
    const b = running.b
    const logs = this.logs.get(pod)!
    for (const s of steps)
      logs.set(`step-${s.name}`, typeof b.logs === 'string' ? b.logs : (b.logs?.[s.name] ?? ''))
    if (b.outcome === 'succeed') {
      this.endPod(pod, 'Succeeded')
      tr.status = {
        ...tr.status,
        completionTime: now(),
        ...(b.results
          ? { results: Object.entries(b.results).map(([name, value]) => ({ name, type: 'string', value })) }
          : {}),
      }
      setCondition(tr, 'True', 'Succeeded', 'All Steps have completed executing')
      return this.save('taskruns', tr, before)
    }
    this.endPod(pod, 'Failed')
    const message = b.message ?? `"step-${steps[0]?.name ?? 'unnamed-0'}" exited with code 1`
    const retries = Number(tr.spec?.retries ?? 0)
    if (retry < retries) {
      const attempt = { ...tr.status, completionTime: now() }
      setCondition({ ...tr, status: attempt }, 'False', 'Failed', message)
      const failedAttempt = {
        ...attempt,
        conditions: [
          { type: 'Succeeded', status: 'False', reason: 'Failed', message, lastTransitionTime: now() },
        ],
      }
      delete (failedAttempt as Record<string, unknown>).retriesStatus
      tr.status = { retriesStatus: [...((tr.status?.retriesStatus ?? []) as unknown[]), failedAttempt] }
      return this.save('taskruns', tr, before)
    }
    tr.status = { ...tr.status, completionTime: now() }
    setCondition(tr, 'False', 'Failed', message)
    this.save('taskruns', tr, before)
  }

  private createPod(tr: KubeObject, name: string, steps: TaskAttempt['steps']): void {
    const labels = tr.metadata.labels ?? {}
    this.store.create('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: tr.metadata.namespace,
        labels: { ...labels, 'tekton.dev/taskRun': tr.metadata.name },
        ownerReferences: [
          {
            apiVersion: 'tekton.dev/v1',
            kind: 'TaskRun',
            name: tr.metadata.name,
            uid: tr.metadata.uid!,
            controller: true,
          },
        ],
      },
      spec: {
        containers: steps.map((s) => ({ name: `step-${s.name}`, image: s.image ?? 'unknown' })),
        restartPolicy: 'Never',
      },
      status: { phase: 'Pending' },
    })
    this.logs.set(name, new Map(steps.map((s) => [`step-${s.name}`, ''])))
  }

  private setPodPhase(name: string, phase: string): void {
    for (const pod of this.store.list('pods', { fields: `metadata.name=${name}` })) {
      if ((pod.status as { phase?: string }).phase === phase) continue
      pod.status = { ...pod.status, phase }
      this.store.update('pods', pod)
    }
  }

  private endPod(name: string, phase: 'Succeeded' | 'Failed'): void {
    this.behaviour.delete(name)
    this.setPodPhase(name, phase)
  }
}
