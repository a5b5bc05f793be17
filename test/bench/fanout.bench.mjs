// Wide fan-out against a chain of the same length (built code from dist/; run `npm run build`
// first): N independent no-op steps, and N steps each depending on the one before, for N in
// FANOUT_BENCH_SIZES (default 10000,50000). Prints each wall time, the fan-out/chain ratio
// (target ≤ 1.5 at 50k) and the growth from the smaller N to the larger (linear: the size
// ratio). FANOUT_BENCH_SHAPES=fanout runs one shape. Printed, not asserted.
/* global performance */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { z } from 'zod'
import { openKernel } from '../../dist/kernel/open.js'
import { coreCapabilities } from '../../dist/registry/core-capabilities.js'
import { WorkflowService } from '../../dist/workflow/service.js'
import { report } from './stats.mjs'

const SIZES = (process.env.FANOUT_BENCH_SIZES ?? '10000,50000').split(',').map(Number)
const SHAPES = (process.env.FANOUT_BENCH_SHAPES ?? 'chain,fanout').split(',')
const actor = { type: 'human', id: 'bench' }
const noop = {
  id: 'bench.noop',
  description: 'Does nothing.',
  capability: 'bench.read',
  risk: ['read'],
  input: z.object({ i: z.number() }),
  output: z.object({ ok: z.boolean() }),
  async run() {
    return { ok: true }
  },
}

function yaml(n, shape) {
  const lines = ['apiVersion: driftcore/v1', 'kind: Workflow', `name: ${shape}`, 'steps:']
  for (let i = 0; i < n; i++) {
    const dep = shape === 'chain' && i > 0 ? `, depends_on: [s${i - 1}]` : ''
    lines.push(`  - { id: s${i}, type: worker, tool: bench.noop, with: { i: ${i} }${dep} }`)
  }
  return lines.join('\n') + '\n'
}

async function run(n, shape) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-bench-fanout-'))
  const home = path.join(dir, '.driftcore')
  await mkdir(home, { recursive: true })
  await writeFile(
    path.join(home, 'config.yaml'),
    'audit:\n  fsync: batch\nworkflow:\n  concurrency: 100\nlimits:\n  max_yaml_bytes: 67108864\n',
  )
  const kernel = await openKernel({
    home,
    env: { ...process.env },
    contributions: [
      { plugin: 'driftcore', capabilities: coreCapabilities },
      { plugin: 'bench', capabilities: { tools: [noop] } },
    ],
  })
  const file = path.join(dir, `${shape}.yaml`)
  await writeFile(file, yaml(n, shape))
  const svc = new WorkflowService(kernel, { actor })
  const loaded = await svc.load(file)
  const started = performance.now()
  const { state } = await svc.start(loaded, {})
  const ms = performance.now() - started
  await kernel.close()
  await rm(dir, { recursive: true, force: true })
  if (state.status !== 'succeeded') throw new Error(`${shape} ${n} ended ${state.status}`)
  return ms
}

const results = {}
for (const n of SIZES) {
  const chain = SHAPES.includes('chain') ? await run(n, 'chain') : NaN
  const fanout = SHAPES.includes('fanout') ? await run(n, 'fanout') : NaN
  results[n] = { chain, fanout }
  report(
    `${n} steps`,
    { chain_ms: chain, fanout_ms: fanout, fanout_to_chain: fanout / chain },
    'fan-out ≤ 1.5× chain',
  )
}
if (SIZES.length > 1) {
  const [a, b] = [SIZES[0], SIZES.at(-1)]
  report(`growth ${a} → ${b} steps (linear = ${(b / a).toFixed(1)})`, {
    chain: results[b].chain / results[a].chain,
    fanout: results[b].fanout / results[a].fanout,
  })
}
