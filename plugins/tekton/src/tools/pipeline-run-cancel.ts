import { defineTool } from 'driftcore/api'
import { z } from 'zod'
import { GROUP, VERSION } from '../cluster/client.js'
import { FINISHED, RUN_STATES } from '../cluster/status.js'
import { call, clusterWork, connect, objectName, plural, readStatus } from './common.js'

export const pipelineRunCancel = defineTool({
  id: 'tekton.pipelineRunCancel',
  title: 'Cancel a Tekton PipelineRun',
  description:
    'Cancels a PipelineRun the way Tekton documents it (spec.status: Cancelled; CancelledRunFinally with finally: true, so its finally tasks still run): Tekton stops its running TaskRuns and starts no more. A run that already finished is left as it is.',
  capability: 'tekton.run',
  risk: ['write', 'network'],
  requires: ['network'],
  idempotent: true,
  effects: 'marked',
  inProcess: clusterWork,
  input: () =>
    z.object({
      name: objectName.describe('the PipelineRun, in tekton.namespace'),
      finally: z.boolean().default(false).describe('still run its finally tasks'),
    }),
  output: () =>
    z.object({
      name: z.string(),
      namespace: z.string(),
      status_before: z.enum(RUN_STATES),
      cancelled: z.boolean().describe('false when it had already finished'),
    }),
  async run(input, ctx) {
    const cluster = await connect(ctx)
    const before = await readStatus(cluster, input.name)
    const out = { name: input.name, namespace: cluster.namespace, status_before: before.status }
    if (FINISHED.has(before.status)) return { ...out, cancelled: false }
    await ctx.beginEffects()
    const { PatchStrategy, setHeaderOptions } = await import('@kubernetes/client-node')
    await call(cluster, `cancelling PipelineRun ${cluster.namespace}/${input.name}`, () =>
      cluster.custom.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          namespace: cluster.namespace,
          plural: plural.pipelineRuns,
          name: input.name,
          body: { spec: { status: input.finally ? 'CancelledRunFinally' : 'Cancelled' } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    )
    return { ...out, cancelled: true }
  },
})
