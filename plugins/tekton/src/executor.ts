import {
  DriftcoreError,
  type RemoteExecutorDefinition,
  type RemoteSnapshot,
  type WorkflowDefinition,
} from 'driftcore/api'
import { tektonConfig } from './cluster/config.js'
import type { RunStatus, TaskStatus } from './cluster/status.js'
import { compileWorkflow, type TaskMapping } from './compile/compile.js'

// A driftcore run id as a PipelineRun name (DNS-1123: no underscores).
const pipelineRunName = (runId: string) => runId.toLowerCase().replace(/_/g, '-').slice(0, 63)

// What a task says about its step: the runner's results (status, output), else Tekton's state.
function stepOf(task: TaskStatus | undefined, run: RunStatus): RemoteSnapshot['steps'][string] {
  if (!task) return { status: 'pending' }
  const attempt = task.retries + 1
  const message = task.message ?? task.reason
  const said = message ? { message } : {}
  if (task.status === 'skipped') {
    // Tekton skips what it never started once a run stops; that is driftcore's blocked.
    const stopped = /stopping|timeout|cancel/i.test(task.reason ?? '')
    if (!stopped) return { status: 'skipped', ...said }
    return { status: run.status === 'cancelled' ? 'cancelled' : 'blocked', ...said }
  }
  if (task.status === 'succeeded') {
    if (task.results?.status === 'skipped')
      return { status: 'skipped', attempt, message: 'its condition was false (decided in the pod)' }
    let output: unknown
    try {
      output = task.results?.output !== undefined ? JSON.parse(task.results.output) : undefined
    } catch {
      output = task.results?.output
    }
    return { status: 'succeeded', attempt, ...(output !== undefined ? { output } : {}) }
  }
  return { status: task.status, attempt, ...said }
}

/**
 * `driftcore workflow run FILE --on tekton`: the workflow is compiled (tcompile's compiler),
 * its Task, Pipeline and a PipelineRun are created with tekton.pipelineRunCreate, the run is
 * followed with tekton.pipelineRunWatch and cancelled with tekton.pipelineRunCancel: gate calls
 * as the run's actor, each decided by policy and audited in this project.
 */
export const tektonExecutor: RemoteExecutorDefinition = {
  id: 'tekton',
  description:
    'compiles the workflow to a Tekton Pipeline, starts it as a PipelineRun on the configured cluster and follows it',
  async submit(request, env) {
    const config = tektonConfig(env.config)
    if (!config.image)
      throw new DriftcoreError('invalid_input', 'tekton.image is not set: the runner image the tasks run', {
        hint: 'set tekton.image (a pinned tag or @sha256 digest) in .driftcore/config.yaml; see docs/guides/tekton.md',
      })
    const compiled = compileWorkflow(request.definition as WorkflowDefinition, {
      image: config.image,
      ...(config.server ? { server: config.server } : {}),
      ...(config.token_secret ? { tokenSecret: config.token_secret } : {}),
      inputs: (request.input ?? {}) as Record<string, unknown>,
      runName: pipelineRunName(request.runId),
      sha256: request.sha256,
    })
    const created = (await env.call('tekton.pipelineRunCreate', {
      tasks: [compiled.task],
      pipeline: compiled.pipeline,
      pipelineRun: compiled.pipelineRun,
    })) as { namespace: string; name: string; uid: string }
    return {
      namespace: created.namespace,
      name: created.name,
      uid: created.uid,
      // step id → pipeline task, so a resumed follower maps TaskRuns back without compiling again.
      tasks: JSON.stringify(Object.fromEntries(compiled.tasks.map((t: TaskMapping) => [t.step, t.task]))),
    }
  },
  async poll(ref, cursor, env) {
    const status = (await env.call('tekton.pipelineRunWatch', {
      name: ref.name,
      until: 'change',
      ...(cursor ? { since: cursor } : {}),
    })) as RunStatus
    const tasks = JSON.parse(ref.tasks ?? '{}') as Record<string, string>
    const byTask = new Map(status.tasks.map((t) => [t.task, t]))
    const steps = Object.fromEntries(
      Object.entries(tasks).map(([step, task]) => [step, stepOf(byTask.get(task), status)]),
    )
    const run =
      status.status === 'pending' || status.status === 'running' || status.status === 'skipped'
        ? 'running'
        : status.status
    return {
      cursor: status.fingerprint,
      status: run,
      ...(status.message ? { message: status.message } : {}),
      steps,
    }
  },
  async cancel(ref, env) {
    await env.call('tekton.pipelineRunCancel', { name: ref.name })
  },
}
