import { defineTool, DriftcoreError } from 'driftcore/api'
import { z } from 'zod'
import { call, clusterWork, connect, listTaskRuns, objectName } from './common.js'

const MAX_LOG_BYTES = 1024 * 1024

export const logs = defineTool({
  id: 'tekton.logs',
  title: "A Tekton task's logs",
  description:
    "What each step of a pipeline task printed: the logs of the step containers of its TaskRun's pod (the latest attempt), at most limit_bytes per step. Only pods of PipelineRuns in tekton.namespace are read.",
  capability: 'tekton.read',
  risk: ['read', 'network'],
  requires: ['network'],
  inProcess: clusterWork,
  input: () =>
    z.object({
      pipelineRun: objectName,
      task: z
        .string()
        .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a pipeline task name')
        .max(63),
      step: z.string().max(63).optional().describe('only this step; default every step'),
      limit_bytes: z
        .number()
        .int()
        .positive()
        .max(MAX_LOG_BYTES)
        .default(64 * 1024),
    }),
  output: () =>
    z.object({
      pipelineRun: z.string(),
      task: z.string(),
      task_run: z.string(),
      pod: z.string(),
      steps: z.array(
        z.object({ step: z.string(), container: z.string(), log: z.string(), truncated: z.boolean() }),
      ),
    }),
  async run(input, ctx) {
    const cluster = await connect(ctx)
    const { items } = await listTaskRuns(cluster, input.pipelineRun)
    const tr = items.find((t) => t.metadata?.labels?.['tekton.dev/pipelineTask'] === input.task)
    if (!tr)
      throw new DriftcoreError(
        'not_found',
        `PipelineRun ${cluster.namespace}/${input.pipelineRun} has no TaskRun for task "${input.task}" (yet)`,
        {
          hint: `see its tasks with: driftcore tools call tekton.pipelineRunStatus --input '{"name":"${input.pipelineRun}"}'`,
        },
      )
    const podName = tr.status?.podName
    if (typeof podName !== 'string' || !podName)
      throw new DriftcoreError('not_found', `task "${input.task}" of ${input.pipelineRun} has no pod yet`)
    const pod = await call(cluster, `reading pod ${cluster.namespace}/${podName}`, () =>
      cluster.core.readNamespacedPod({ name: podName, namespace: cluster.namespace }),
    )
    const containers = (pod.spec?.containers ?? [])
      .map((c) => c.name)
      .filter((c) => c.startsWith('step-') && (!input.step || c === `step-${input.step}`))
    if (input.step && containers.length === 0)
      throw new DriftcoreError('not_found', `task "${input.task}" has no step "${input.step}"`)
    const steps = []
    for (const container of containers) {
      const log = await call(cluster, `reading the log of ${podName}/${container}`, () =>
        cluster.core.readNamespacedPodLog({
          name: podName,
          namespace: cluster.namespace,
          container,
          limitBytes: input.limit_bytes,
        }),
      )
      const text = typeof log === 'string' ? log : String(log)
      steps.push({
        step: container.slice('step-'.length),
        container,
        log: text,
        truncated: Buffer.byteLength(text) >= input.limit_bytes,
      })
    }
    return {
      pipelineRun: input.pipelineRun,
      task: input.task,
      task_run: tr.metadata?.name ?? '',
      pod: podName,
      steps,
    }
  },
})
