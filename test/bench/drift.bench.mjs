// drift check on a 2,000-object export (the USA.gov config/sync, 1,226 files, multiplied):
// target ≤ 1 s. Measured in-process through the gate (kernel open once), as an agent or a
// workflow step calls it, and as a whole CLI process. Imports the built code: npm run build.
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { spawnSync } from 'node:child_process'
import { openKernel } from '../../dist/index.js'
import { coreCapabilities } from '../../dist/registry/core-capabilities.js'
import { drushCapabilities } from '../../plugins/drush/dist/hooks/capabilities.js'
import { report, summarize } from './stats.mjs'

const REPO = path.resolve(import.meta.dirname, '../..')
const USAGOV = path.join(
  process.env.DRIFTCORE_SHARED_FIXTURES ?? path.resolve(REPO, '../shared/fixtures'),
  'drupal-site2/sync',
)
const OBJECTS = 2000
const RUNS = 10

const dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-bench-drift-'))
try {
  const files = (await readdir(USAGOV)).filter((f) => f.endsWith('.yml')).sort()
  const baseline = path.join(dir, 'baseline')
  await mkdir(baseline)
  for (let i = 0; i < OBJECTS; i++) {
    const file = files[i % files.length]
    const copy = Math.floor(i / files.length)
    const name = copy === 0 ? file : file.replace(/\.yml$/, `_copy${copy}.yml`)
    await writeFile(path.join(baseline, name), await readFile(path.join(USAGOV, file)))
  }
  const names = (await readdir(baseline)).sort()

  // 2% real drift (a value changed), plus 1% uuid-only noise and 1% with keys reordered.
  const current = path.join(dir, 'current')
  await cp(baseline, current, { recursive: true })
  for (let i = 0; i < names.length; i += 25) {
    const file = path.join(current, names[i])
    const text = await readFile(file, 'utf8')
    await writeFile(
      file,
      i % 100 === 0
        ? text.replace(/^uuid: .*$/m, 'uuid: 11111111-2222-4333-8444-555555555555')
        : `${text}driftcore_bench: ${i}\n`,
    )
  }
  for (let i = 7; i < names.length; i += 100) {
    const file = path.join(current, names[i])
    const lines = (await readFile(file, 'utf8')).split('\n')
    const top = lines.findIndex((l, j) => j > 0 && /^[a-z_]+:/.test(l))
    await writeFile(file, [...lines.slice(top), ...lines.slice(0, top)].join('\n').replace(/\n+$/, '\n'))
  }

  // Worst case: every object differs in bytes (re-serialised), so every one is parsed.
  const reformatted = path.join(dir, 'reformatted')
  await mkdir(reformatted)
  for (const name of names)
    await writeFile(
      path.join(reformatted, name),
      `# exported again\n${await readFile(path.join(baseline, name), 'utf8')}`,
    )

  const home = path.join(dir, 'project/.driftcore')
  await mkdir(home, { recursive: true })
  const kernel = await openKernel({
    home,
    env: { PATH: process.env.PATH },
    contributions: [
      { plugin: 'driftcore', capabilities: coreCapabilities },
      { plugin: '@driftcore/plugin-drush', capabilities: drushCapabilities },
    ],
  })
  const actor = { type: 'ci', id: 'bench' }
  // CPU time is what this process used; wall time also counts waiting for a shared machine.
  const time = async (input) => {
    const samples = []
    const cpu = []
    let out
    for (let r = 0; r < RUNS + 1; r++) {
      const t = performance.now()
      const c = process.cpuUsage()
      out = (await kernel.gate.invoke('drift.check', input, actor)).output
      const used = process.cpuUsage(c)
      if (r > 0) {
        samples.push(performance.now() - t)
        cpu.push((used.user + used.system) / 1000)
      }
    }
    return { samples, cpu: summarize(cpu).p50, out }
  }

  const typical = await time({ baseline, current })
  report(
    `drift.check ${names.length} objects, 2% drift (in-process, ms)`,
    {
      ...summarize(typical.samples),
      cpu_p50: typical.cpu,
      changed: typical.out.summary.changed,
      noise: typical.out.summary.noise_only,
      equivalent: typical.out.summary.equivalent,
    },
    '≤ 1000 ms',
  )
  const none = await time({ baseline, current: baseline })
  report(`drift.check ${names.length} objects, identical (in-process, ms)`, {
    ...summarize(none.samples),
    cpu_p50: none.cpu,
  })
  const worst = await time({ baseline, current: reformatted })
  report(`drift.check ${names.length} objects, every file re-serialised (in-process, ms)`, {
    ...summarize(worst.samples),
    cpu_p50: worst.cpu,
    equivalent: worst.out.summary.equivalent,
  })
  await kernel.close()

  const cli = []
  for (let r = 0; r < 5; r++) {
    const t = performance.now()
    const run = spawnSync(
      process.execPath,
      [
        path.join(REPO, 'bin/run.js'),
        'drift',
        'check',
        '--baseline',
        baseline,
        '--current',
        current,
        '--json',
      ],
      {
        cwd: path.dirname(home),
        env: { PATH: process.env.PATH, HOME: dir, DRIFTCORE_ACTOR: 'ci:bench' },
        encoding: 'utf8',
      },
    )
    if (run.status !== 1) throw new Error(`drift check exited ${run.status}: ${run.stderr}`)
    cli.push(performance.now() - t)
  }
  report(`driftcore drift check ${names.length} objects, whole CLI process (ms)`, summarize(cli))
} finally {
  await rm(dir, { recursive: true, force: true })
}
