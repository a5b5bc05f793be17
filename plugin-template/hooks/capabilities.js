// @ts-check
// What this plugin contributes to driftcore. The host checks every definition when it loads
// the plugin, and only its gate runs a handler: after validating the input, deciding the call
// by policy (and approval) and before recording it in the audit log.
//
// `driftcore` and `zod` come from the driftcore that loads the plugin: they are optional peer
// dependencies, so installing the plugin downloads neither.
import { z } from 'zod'
import { defineCapabilities, defineTool } from 'driftcore'

const hello = defineTool({
  id: '__NAME__.hello',
  title: 'Say hello',
  description: 'Returns a greeting for the given name. Read-only.',
  // Policy rules can match the capability and the risk tags; `read` alone runs without asking.
  capability: '__NAME__.read',
  risk: ['read'],
  input: z.object({ name: z.string().min(1).describe('who to greet') }),
  output: z.object({ greeting: z.string() }),
  // The handler's own work is small and opens no connection: say so, so constraints allow it.
  inProcess: { network: 'none', paths: () => [], bounded: true },
  async run({ name }) {
    return { greeting: `hello ${name}` }
  },
})

export default defineCapabilities({ tools: [hello] })
