import { defineTool } from 'driftcore/api'
import { z } from 'zod'
import { runStatusSchema } from '../cluster/status.js'
import { clusterWork, connect, objectName, readStatus } from './common.js'

export const pipelineRunStatus = defineTool({
  id: 'tekton.pipelineRunStatus',
  title: 'Tekton PipelineRun status',
  description:
    "A PipelineRun's state (pending, running, succeeded, failed, cancelled, timed_out) with Tekton's reason and message, and each pipeline task's state, TaskRun, pod, times, retries and results.",
  capability: 'tekton.read',
  risk: ['read', 'network'],
  requires: ['network'],
  inProcess: clusterWork,
  input: () => z.object({ name: objectName.describe('the PipelineRun, in tekton.namespace') }),
  output: () => runStatusSchema,
  async run(input, ctx) {
    return readStatus(await connect(ctx), input.name)
  },
})
