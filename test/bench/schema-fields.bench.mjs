// The schema.fields resource (one JSON Schema per entity type and bundle) for the USA.gov
// export read from its config folder, no Drush: target ≤ 300 ms. In-process through the
// gate, as an MCP client reading the resource would. Imports the built code: npm run build.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { openKernel } from '../../dist/index.js'
import { coreCapabilities } from '../../dist/registry/core-capabilities.js'
import { drushCapabilities } from '../../plugins/drush/dist/hooks/capabilities.js'
import { report, summarize } from './stats.mjs'

const USAGOV = path.join(
  process.env.DRIFTCORE_SHARED_FIXTURES ?? path.resolve(import.meta.dirname, '../../../shared/fixtures'),
  'drupal-site2/sync',
)
const RUNS = 20

const dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-bench-schema-'))
try {
  const home = path.join(dir, '.driftcore')
  await mkdir(home, { recursive: true })
  const kernel = await openKernel({
    home,
    env: { PATH: process.env.PATH },
    configFlags: [`drush.config_dir=${USAGOV}`],
    contributions: [
      { plugin: 'driftcore', capabilities: coreCapabilities },
      // With its package.json, as oclif hands it over: that is what lets it own the drush: keys.
      {
        plugin: '@driftcore/plugin-drush',
        capabilities: drushCapabilities,
        packageJson: JSON.parse(await readFile(new URL('../../plugins/drush/package.json', import.meta.url))),
      },
    ],
  })
  const actor = { type: 'agent', id: 'bench' }
  const samples = []
  const cpu = []
  let schemas = 0
  let bytes = 0
  for (let r = 0; r < RUNS + 1; r++) {
    const t = performance.now()
    const c = process.cpuUsage()
    const content = await kernel.gate.read('driftcore://schema/fields', actor)
    const used = process.cpuUsage(c)
    if (r > 0) {
      samples.push(performance.now() - t)
      cpu.push((used.user + used.system) / 1000)
    }
    schemas = JSON.parse(content.text).schemas.length
    bytes = content.text.length
  }
  // CPU time is what this process used; wall time also counts waiting for a shared machine.
  report('schema.fields for the USA.gov export, CPU time (ms)', summarize(cpu))
  report(
    'schema.fields for the USA.gov export, wall time (ms)',
    { ...summarize(samples), schemas, kib: Math.round(bytes / 1024) },
    '≤ 300 ms',
  )
  await kernel.close()
} finally {
  await rm(dir, { recursive: true, force: true })
}
