// drift check on a 2,000-object export (the USA.gov config/sync, 1,226 files, multiplied):
// target ≤ 1 s with 2% drift. When nothing changed, against its floor measured in the same run:
// in-process within 3× of `diff -rq` over the same two folders, and as a whole CLI process
// within 3× of `diff -rq` plus a gated CLI call that does nothing (`tools call
// config.effective`: the start-up every gated command pays); and linear (BENCH_DRIFT_SCALE
// times the objects, default 10, costs about that many times as much). Measured in-process
// through the gate (kernel open once), as an agent or a workflow step calls it, and as a whole
// CLI process. Imports the built code: npm run build. BENCH_DRIFT_OBJECTS sets the size.
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
const OBJECTS = Number(process.env.BENCH_DRIFT_OBJECTS ?? 2000)
const SCALE = Number(process.env.BENCH_DRIFT_SCALE ?? 10)
const RUNS = 10

const dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-bench-drift-'))
try {
  const files = (await readdir(USAGOV)).filter((f) => f.endsWith('.yml')).sort()
  const sources = new Map()
  for (const f of files) sources.set(f, await readFile(path.join(USAGOV, f)))
  const exportOf = async (folder, count) => {
    await mkdir(folder)
    for (let i = 0; i < count; i++) {
      const file = files[i % files.length]
      const copy = Math.floor(i / files.length)
      const name = copy === 0 ? file : file.replace(/\.yml$/, `_copy${copy}.yml`)
      await writeFile(path.join(folder, name), sources.get(file))
    }
    return folder
  }
  const baseline = await exportOf(path.join(dir, 'baseline'), OBJECTS)
  const names = (await readdir(baseline)).sort()
  const same = path.join(dir, 'same')
  await cp(baseline, same, { recursive: true })

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
  // The exports live beside the project, as a CI checkout's would: a read root lets the tool see them.
  await writeFile(path.join(home, 'config.yaml'), `files:\n  read_roots: [${JSON.stringify(dir)}]\n`)
  const kernel = await openKernel({
    home,
    env: { PATH: process.env.PATH },
    contributions: [
      { plugin: 'driftcore', capabilities: coreCapabilities, core: true },
      {
        plugin: '@driftcore/plugin-drush',
        capabilities: drushCapabilities,
        packageJson: JSON.parse(await readFile(path.join(REPO, 'plugins/drush/package.json'), 'utf8')),
      },
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
  // Nothing changed: two folders with the same bytes (not one folder twice, which a cache of
  // reads would flatter), beside `diff -rq` over the same two folders.
  const diffRq = (a, b) => {
    const samples = []
    for (let r = 0; r < RUNS + 1; r++) {
      const t = performance.now()
      const run = spawnSync('diff', ['-rq', a, b])
      if (run.status !== 0) throw new Error(`diff -rq exited ${run.status}`)
      if (r > 0) samples.push(performance.now() - t)
    }
    return summarize(samples).p50
  }
  const none = await time({ baseline, current: same })
  const diffMs = diffRq(baseline, same)
  const noneMs = summarize(none.samples).p50
  report(
    `drift.check ${names.length} objects, identical (in-process, ms)`,
    { p50: noneMs, cpu_p50: none.cpu, diff_rq_ms: diffMs, ratio: noneMs / diffMs },
    'ratio ≤ 3×',
  )
  if (SCALE > 1) {
    const big = await exportOf(path.join(dir, 'big'), OBJECTS * SCALE)
    const bigSame = path.join(dir, 'big-same')
    await cp(big, bigSame, { recursive: true })
    const large = await time({ baseline: big, current: bigSame })
    const largeMs = summarize(large.samples).p50
    const bigDiffMs = diffRq(big, bigSame)
    report(
      `drift.check ${OBJECTS * SCALE} objects, identical (in-process, ms)`,
      {
        p50: largeMs,
        diff_rq_ms: bigDiffMs,
        ratio: largeMs / bigDiffMs,
        growth: largeMs / noneMs,
        objects_growth: SCALE,
      },
      `ratio ≤ 3×, growth ≈ ${SCALE}× (linear)`,
    )
    await rm(big, { recursive: true, force: true })
    await rm(bigSame, { recursive: true, force: true })
  }
  const worst = await time({ baseline, current: reformatted })
  report(`drift.check ${names.length} objects, every file re-serialised (in-process, ms)`, {
    ...summarize(worst.samples),
    cpu_p50: worst.cpu,
    equivalent: worst.out.summary.equivalent,
  })
  await kernel.close()

  const cliRun = (args, expect) => {
    const samples = []
    for (let r = 0; r < 6; r++) {
      const t = performance.now()
      const run = spawnSync(process.execPath, [path.join(REPO, 'bin/run.js'), ...args, '--json'], {
        cwd: path.dirname(home),
        env: { PATH: process.env.PATH, HOME: dir, DRIFTCORE_ACTOR: 'ci:bench' },
        encoding: 'utf8',
      })
      if (run.status !== expect)
        throw new Error(`${args[0]} exited ${run.status}: ${run.stderr}${run.stdout}`)
      if (r > 0) samples.push(performance.now() - t)
    }
    return summarize(samples).p50
  }
  const drifted = cliRun(['drift', 'check', '--baseline', baseline, '--current', current], 20)
  const cliNone = cliRun(['drift', 'check', '--baseline', baseline, '--current', same], 0)
  const gated = cliRun(['tools', 'call', 'config.effective'], 0)
  report(`driftcore drift check ${names.length} objects, 2% drift, whole CLI process (ms)`, { p50: drifted })
  report(
    `driftcore drift check ${names.length} objects, identical, whole CLI process (ms)`,
    {
      p50: cliNone,
      gated_noop_cli_ms: gated,
      diff_rq_ms: diffMs,
      ratio: cliNone / (gated + diffMs),
      over_start_ms: cliNone - gated,
    },
    'ratio ≤ 3× of diff -rq plus CLI start',
  )
} catch (error) {
  console.error(error)
  process.exitCode = 1
} finally {
  await rm(dir, { recursive: true, force: true }).catch(() => {})
}
