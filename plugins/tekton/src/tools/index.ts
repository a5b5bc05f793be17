import { logs } from './logs.js'
import { pipelineRunCancel } from './pipeline-run-cancel.js'
import { pipelineRunCreate } from './pipeline-run-create.js'
import { pipelineRunStatus } from './pipeline-run-status.js'
import { pipelineRunWatch } from './pipeline-run-watch.js'

/** The run-and-watch tools, over the Kubernetes API with the user's kubeconfig. */
export const clusterTools = [pipelineRunCreate, pipelineRunStatus, pipelineRunWatch, logs, pipelineRunCancel]
