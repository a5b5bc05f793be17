import {
  DriftcoreError,
  durationMs,
  type Route,
  type StepDefinition,
  type WorkflowDefinition,
} from 'driftcore/api'
import { dnsLabel, taskNames } from './names.js'
import { stepsRead } from './refs.js'
import { finallySteps, refusals, type Refusal } from './refuse.js'
import { stepTask } from './task.js'

export type { Refusal } from './refuse.js'

export interface CompileInput {
  /** The runner image every task runs: pinned (a tag other than `latest`, or `@sha256:`). */
  image: string
  /** Default of the pipeline's `driftcore-server` param: the `driftcore serve` URL tasks call. */
  server?: string
  /** The run input; becomes the PipelineRun's `inputs` param (one JSON document). */
  inputs?: Record<string, unknown>
  /** PipelineRun `metadata.name`; without it, `generateName`. */
  runName?: string
  namespace?: string
  /** The Secret holding the task token (key `token`); default `driftcore-task-token`. */
  tokenSecret?: string
  /** Where the pools config sends a topic (from `loadWorkflow(...).route`); topic steps need it. */
  route?: (topic: string, requires: readonly string[]) => Route
  /** sha256 of the workflow definition, recorded as an annotation. */
  sha256?: string
}

/** One driftcore step and the pipeline task that runs it. */
export interface TaskMapping {
  step: string
  task: string
  finally: boolean
}

export interface CompileResult {
  task: Record<string, unknown>
  pipeline: Record<string, unknown>
  pipelineRun: Record<string, unknown>
  tasks: TaskMapping[]
  /** Differences Tekton makes that change no outcome (scheduling), said out loud. */
  notes: string[]
}

export const DEFAULT_TOKEN_SECRET = 'driftcore-task-token'
const MANAGED = { 'app.kubernetes.io/managed-by': 'driftcore' }

/**
 * Compiles a checked workflow into `tekton.dev/v1` documents: one Task (the driftcore runner
 * image running one step), a Pipeline (the DAG: runAfter, when, retries, timeouts, finally) and
 * a PipelineRun for the given input. Every task calls the driftcore service, so the service's
 * policy decides each call and its audit log records it.
 *
 * Throws `invalid_input` with `details.refused` when any construct has no Tekton equivalent;
 * nothing is compiled then, so nothing is approximated.
 */
export function compileWorkflow(definition: WorkflowDefinition, options: CompileInput): CompileResult {
  checkImage(options.image)
  if (options.server !== undefined) checkServer(options.server)
  const route =
    options.route ?? (() => ({ kind: 'none' as const, reason: 'no pools config was given to the compiler' }))
  const refused: Refusal[] = refusals(definition, route)
  for (const [key, value] of Object.entries(options.inputs ?? {}))
    if (JSON.stringify(value).includes('$('))
      refused.push({
        step: '(input)',
        construct: `inputs.${key}`,
        reason:
          'Tekton substitutes every $(…) in a PipelineRun, so this value would not reach the steps as given',
      })
  if (refused.length > 0)
    throw new DriftcoreError(
      'invalid_input',
      `workflow ${definition.name} cannot run on Tekton as written:\n${refused
        .map((r) => `  step ${r.step}: ${r.construct}: ${r.reason}`)
        .join('\n')}`,
      {
        details: { refused },
        hint: 'change these steps, or run the workflow here (driftcore workflow run)',
      },
    )

  const name = dnsLabel(definition.name, 52)
  const taskName = `${name}-step`
  const ids = new Set(definition.steps.map((s) => s.id))
  const names = taskNames(definition.steps.map((s) => s.id))
  const fin = finallySteps(definition)
  const readers = new Map<string, Set<string>>()
  const reads = new Map<string, Set<string>>()
  for (const step of definition.steps) {
    const read = stepsRead(step, ids)
    reads.set(step.id, read)
    for (const r of read) readers.set(r, new Set([...(readers.get(r) ?? []), step.id]))
  }
  const byId = new Map(definition.steps.map((s) => [s.id, s]))
  const finallyDeps = new Set(definition.steps.filter((s) => fin.has(s.id)).flatMap((s) => s.depends_on))

  const pipelineTask = (step: StepDefinition) => {
    const isFinally = fin.has(step.id)
    const spec: Record<string, unknown> = { ...step }
    if (step.type === 'worker' && step.topic !== undefined) {
      const r = route(step.topic, step.meta?.requires ?? [])
      spec.route = r.kind === 'tool' ? { tool: r.tool } : r.kind === 'command' ? { pool: r.pool } : undefined
    }
    const upstream = [...reads.get(step.id)!].map(
      (id) => `${id}=$(tasks.${names.get(id)}.results.status):$(tasks.${names.get(id)}.results.output)`,
    )
    const task: Record<string, unknown> = {
      name: names.get(step.id),
      ...(step.name ? { displayName: step.name } : {}),
      ...(step.description ? { description: step.description } : {}),
      taskRef: { name: taskName, kind: 'Task' },
      params: [
        { name: 'step', value: step.id },
        { name: 'definition', value: JSON.stringify(spec) },
        { name: 'inputs', value: '$(params.inputs)' },
        { name: 'upstream', value: upstream },
        { name: 'server', value: '$(params.driftcore-server)' },
        { name: 'token-secret', value: '$(params.driftcore-token-secret)' },
        { name: 'run-id', value: '$(context.pipelineRun.name)' },
      ],
    }
    if (!isFinally && step.depends_on.length > 0) task.runAfter = step.depends_on.map((d) => names.get(d))
    const when = tektonWhen(step, byId, names, readers, finallyDeps)
    if (isFinally && !step.always)
      task.when = step.depends_on.map((d) => ({
        input: `$(tasks.${names.get(d)}.status)`,
        operator: 'in',
        values: ['Succeeded'],
      }))
    else if (when && !isFinally) task.when = when
    if (step.type === 'worker' && step.retry && step.retry.max_attempts > 1)
      task.retries = step.retry.max_attempts - 1
    // Without a timeout of its own a task may take what is left of the run's timeout (Tekton
    // gives it that); with no run timeout either, none at all (Tekton's default is one hour).
    const timeout = taskTimeout(step)
    if (timeout !== undefined) task.timeout = goDuration(timeout)
    else if (definition.timeout === undefined) task.timeout = '0s'
    return { task, isFinally }
  }

  const tasks: Record<string, unknown>[] = []
  const finallyTasks: Record<string, unknown>[] = []
  const mapping: TaskMapping[] = []
  for (const step of definition.steps) {
    const { task, isFinally } = pipelineTask(step)
    ;(isFinally ? finallyTasks : tasks).push(task)
    mapping.push({ step: step.id, task: names.get(step.id)!, finally: isFinally })
  }
  if (tasks.length === 0)
    throw new DriftcoreError(
      'invalid_input',
      `workflow ${definition.name} has only clean-up and notify steps`,
      {
        hint: 'a Tekton Pipeline needs at least one task that is not a finally task',
      },
    )

  const requiredInput = Array.isArray((definition.input as { required?: unknown } | undefined)?.required)
  const labels = { ...MANAGED, 'driftcore.dev/workflow': name }
  const pipeline = {
    apiVersion: 'tekton.dev/v1',
    kind: 'Pipeline',
    metadata: {
      name,
      ...(options.namespace ? { namespace: options.namespace } : {}),
      labels,
      ...(options.sha256 ? { annotations: { 'driftcore.dev/workflow-sha256': options.sha256 } } : {}),
    },
    spec: {
      ...(definition.description ? { description: definition.description } : {}),
      params: [
        {
          name: 'inputs',
          type: 'string',
          description: 'the run input, one JSON document checked against the workflow input schema',
          ...(requiredInput ? {} : { default: '{}' }),
        },
        {
          name: 'driftcore-server',
          type: 'string',
          description:
            'the driftcore service (driftcore serve) whose policy decides and whose audit log records every call',
          ...(options.server ? { default: options.server } : {}),
        },
        {
          name: 'driftcore-token-secret',
          type: 'string',
          description: 'the Secret (key token) holding the token tasks present to the service',
          default: options.tokenSecret ?? DEFAULT_TOKEN_SECRET,
        },
      ],
      tasks,
      ...(finallyTasks.length > 0 ? { finally: finallyTasks } : {}),
    },
  }
  const pipelineRun = {
    apiVersion: 'tekton.dev/v1',
    kind: 'PipelineRun',
    metadata: {
      ...(options.runName ? { name: options.runName } : { generateName: `${name}-` }),
      ...(options.namespace ? { namespace: options.namespace } : {}),
      labels,
    },
    spec: {
      pipelineRef: { name },
      params: [
        { name: 'inputs', value: JSON.stringify(options.inputs ?? {}) },
        ...(options.server ? [{ name: 'driftcore-server', value: options.server }] : []),
      ],
      // Tekton's default is one hour; a driftcore run has no limit unless it says so.
      timeouts: {
        pipeline: definition.timeout === undefined ? '0s' : goDuration(durationMs(definition.timeout)),
      },
    },
  }
  const extra = options.server
    ? []
    : [
        'no --server given: set the driftcore-server param when you start the run (tkn pipeline start -p driftcore-server=URL)',
      ]
  return {
    task: stepTask(taskName, definition.name, options.image, labels),
    pipeline,
    pipelineRun,
    tasks: mapping,
    notes: [...notes(definition, fin), ...extra],
  }
}

/**
 * A Tekton `when` for a step whose `when:` is exactly a condition step's output (or its
 * negation), so the skipped step never starts a pod. Only when nothing reads the step: Tekton
 * skips a task whose inputs come from a skipped task, where driftcore gives them `null`, and
 * reports it as not run to a finally task. Every other `when:` the runner decides in the
 * step's own task, which then succeeds with status `skipped` and output `null`, as locally.
 */
function tektonWhen(
  step: StepDefinition,
  byId: Map<string, StepDefinition>,
  names: Map<string, string>,
  readers: Map<string, Set<string>>,
  finallyDeps: Set<string>,
) {
  if (!step.when || (readers.get(step.id)?.size ?? 0) > 0 || finallyDeps.has(step.id)) return undefined
  const m = /^\s*(?:\$\{\{\s*)?(!?)\s*steps\.([A-Za-z_][A-Za-z0-9_]*)\.output\s*(?:\}\})?\s*$/.exec(step.when)
  if (!m || byId.get(m[2]!)?.type !== 'condition' || !step.depends_on.includes(m[2]!)) return undefined
  return [
    {
      input: `$(tasks.${names.get(m[2]!)}.results.output)`,
      operator: 'in',
      values: [m[1] ? 'false' : 'true'],
    },
  ]
}

/**
 * The pipeline task's timeout. A worker's `timeout` is per attempt; the runner waits the retry
 * backoff inside the attempt, so the longest backoff is added. An approval waits as long as its
 * request stays open. No timeout is `0s` (Tekton's default would be one hour).
 */
function taskTimeout(step: StepDefinition): number | undefined {
  if (step.type === 'delay' && step.duration !== undefined) return durationMs(step.duration) + 60_000
  if (!('timeout' in step) || step.timeout === undefined) return undefined
  let ms = durationMs(step.timeout)
  if (step.type === 'worker' && step.retry && step.retry.max_attempts > 1) {
    const b = step.retry.backoff
    const last = Math.min(
      durationMs(b.max),
      durationMs(b.initial) * b.factor ** Math.max(0, step.retry.max_attempts - 2),
    )
    ms += Math.ceil(last * (1 + b.jitter))
  }
  return ms
}

/** Milliseconds as a Go duration string, which Tekton parses (`90s`, `1500ms`). */
export function goDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`
}

function checkImage(image: string): void {
  const digest = /@sha256:[a-f0-9]{64}$/.test(image)
  const tag = /:([A-Za-z0-9_][A-Za-z0-9._-]{0,127})$/.exec(image.replace(/@sha256:[a-f0-9]{64}$/, ''))?.[1]
  if (!digest && (!tag || tag === 'latest'))
    throw new DriftcoreError('invalid_input', `the runner image ${image} is not pinned`, {
      hint: 'give a version tag or a digest, e.g. --image registry.example/driftcore-runner:0.1.0 (a moving tag runs code nobody reviewed)',
    })
  if (/\s|\$\(/.test(image))
    throw new DriftcoreError(
      'invalid_input',
      `the runner image ${JSON.stringify(image)} is not an image reference`,
    )
}

// The URL lands in the Pipeline, where Tekton substitutes $(…): it must be a plain http(s) URL.
function checkServer(server: string): void {
  let url: URL | undefined
  try {
    url = new URL(server)
  } catch {
    url = undefined
  }
  if (!url || !/^https?:$/.test(url.protocol) || server.includes('$(') || /\s/.test(server))
    throw new DriftcoreError('invalid_input', `--server ${JSON.stringify(server)} is not an http(s) URL`, {
      hint: 'the URL driftcore serve prints, e.g. https://driftcore.internal:7800',
    })
}

function notes(definition: WorkflowDefinition, fin: Set<string>): string[] {
  const out: string[] = []
  if (definition.concurrency)
    out.push(
      `concurrency: ${definition.concurrency} is not a Tekton setting: every ready task starts at once (limit pods with a ResourceQuota in the namespace)`,
    )
  const approvals = definition.steps.filter((s) => s.type === 'approval').map((s) => s.id)
  if (approvals.length > 0)
    out.push(
      `approval steps (${approvals.join(', ')}) wait in their task for a person to approve on the service (tool approvals.request; policy must allow it): the task's timeout bounds the wait (docs/guides/tekton.md, "Approval steps")`,
    )
  const regular = definition.steps.filter((s) => !fin.has(s.id))
  const dependents = new Map<string, number>()
  for (const s of regular) for (const d of s.depends_on) dependents.set(d, (dependents.get(d) ?? 0) + 1)
  const roots = regular.filter((s) => s.depends_on.length === 0).length
  if (roots > 1 || [...dependents.values()].some((n) => n > 1))
    out.push(
      'after a task fails, Tekton starts no further task, also in branches that do not depend on it (driftcore would run those); the run fails either way',
    )
  return out
}
