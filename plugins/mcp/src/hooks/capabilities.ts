import { defineCapabilities } from 'driftcore'

export default defineCapabilities({ tools: [], resources: [] })
