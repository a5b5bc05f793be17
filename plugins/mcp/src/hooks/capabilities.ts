import { defineCapabilities } from 'driftcore/api'
import { mcpConfigSection } from '../config/section.js'

// The server itself adds no tools: it exposes what every other plugin registers.
export default defineCapabilities({ config: { mcp: mcpConfigSection } })
