import { defineCapabilities } from 'driftcore/api'
import { composeResources, composeTools } from '../compose/tools.js'
import { configSections } from '../config/sections.js'
import { qaTools } from '../qa/tools.js'
import { sandboxResources } from '../sandbox/resources.js'
import { sandboxTools } from '../sandbox/tools.js'
import { scaffoldTools } from '../scaffold/tools.js'

// Everything the plugin contributes; the host validates it and only its gate runs a handler.
export default defineCapabilities({
  tools: [...sandboxTools, ...composeTools, ...scaffoldTools, ...qaTools],
  resources: [...sandboxResources, ...composeResources],
  config: configSections,
})
