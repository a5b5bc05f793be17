import { defineCapabilities } from 'driftcore'
import { configSections } from '../config/sections.js'
import { qaTools } from '../qa/tools.js'
import { sandboxTools } from '../sandbox/tools.js'
import { scaffoldTools } from '../scaffold/tools.js'

export default defineCapabilities({
  tools: [...sandboxTools, ...scaffoldTools, ...qaTools],
  resources: [],
  config: configSections,
})
