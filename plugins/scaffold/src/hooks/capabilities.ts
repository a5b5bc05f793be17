import { defineCapabilities } from 'driftcore'
import { configSections } from '../config/sections.js'
import { sandboxTools } from '../sandbox/tools.js'

export default defineCapabilities({ tools: [...sandboxTools], resources: [], config: configSections })
