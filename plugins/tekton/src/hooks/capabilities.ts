import { defineCapabilities } from 'driftcore/api'
import { tektonConfigSchema } from '../cluster/config.js'
import { tektonExecutor } from '../executor.js'
import { clusterTools } from '../tools/index.js'

// Everything the plugin contributes; the host validates it and only its gate runs a handler.
// Compiling is not a tool (it reads a file and writes YAML, changing nothing the gate guards);
// the run/watch tools (tekton.pipelineRunCreate, …) join here.
export default defineCapabilities({
  tools: [...clusterTools],
  config: { tekton: tektonConfigSchema },
  // `workflow run --on tekton`: the host journals and shows the run; this follows it on the cluster.
  executors: [tektonExecutor],
})
