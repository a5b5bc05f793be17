// One of several processes that call the gate concurrently: node gate-burst.mjs HOME COUNT
import { openKernel } from '../../../dist/index.js'
import { coreCapabilities } from '../../../dist/registry/core-capabilities.js'
import hello from '../../fixtures/plugins/hello/hooks/capabilities.js'

const [home, count] = process.argv.slice(2)
const kernel = await openKernel({
  home,
  contributions: [
    { plugin: 'driftcore', capabilities: coreCapabilities },
    { plugin: 'driftcore-plugin-hello', capabilities: await hello() },
  ],
})
const actor = { type: 'agent', id: `burst-${process.pid}` }
for (let i = 0; i < Number(count); i++) await kernel.gate.invoke('hello.greet', { name: `n${i}` }, actor)
await kernel.close()
