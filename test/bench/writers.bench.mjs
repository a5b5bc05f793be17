// Writers that push back (issue 16 item 1; built code from dist/, run `npm run build` first).
//   1. In-process gate calls in a tight loop (fsync=batch), WRITERS_BENCH_CALLS (default
//      200000; the issue's figure is 1000000): peak RSS against the RSS after the first tenth
//      of the calls (flat memory: ratio ≈ 1), and every record on disk and verified at the end.
//   2. Runs of WRITERS_BENCH_STEPS no-op steps (default 1000,50000, the issue's figure), each
//      in its own child process so one run's heap never counts in the
//      other's: peak RSS of the larger against the smaller (target ≤ 1.5×), the RSS the
//      process had before the run (kernel open, workflow not loaded), the per-step wall time,
//      and how far the journal on disk lagged the run's progress (sampled every 50 ms while it
//      runs: steps the engine had applied minus step.succeeded lines on disk; target: within
//      one batch).
//      Shape: WRITERS_BENCH_SHAPE=fanout (default) or chain. The memory is measured on a
//      fan-out with `audit.fsync: batch`: every step's state, result and journal lines are held
//      the same way as in a chain (plus up to 100 steps in flight at once, so the figure is if
//      anything high), but steps finishing together share an fsync, so 50k steps take about a
//      minute instead of the chain's three fsyncs per step (10k chain: ~60 s here). The chain
//      shape is there to check the lag figure on the run the issue names.
// WRITERS_BENCH_PARTS=runs runs part 2 only.
// Printed, not asserted. Memory figures are sampled inside the loops, since a busy loop never
// runs a timer.
/* global performance, setInterval, clearInterval, Buffer */
import { closeSync, openSync, readSync, statSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { z } from 'zod'
import { openKernel } from '../../dist/kernel/open.js'
import { coreCapabilities } from '../../dist/registry/core-capabilities.js'
import { verifyAudit } from '../../dist/audit/verify.js'
import { WorkflowService } from '../../dist/workflow/service.js'
import { report } from './stats.mjs'

const CALLS = Number(process.env.WRITERS_BENCH_CALLS ?? 200_000)
const STEPS = (process.env.WRITERS_BENCH_STEPS ?? '1000,50000').split(',').map(Number)
const SHAPE = process.env.WRITERS_BENCH_SHAPE ?? 'fanout'
// Set in the child process that runs one size of part 2.
const CHILD = process.env.WRITERS_BENCH_CHILD
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

async function project() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-bench-writers-'))
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
  return { dir, home, kernel }
}

const mb = (bytes) => bytes / 1024 / 1024

// 1. gate calls
if (!CHILD && process.env.WRITERS_BENCH_PARTS !== 'runs') {
  const { dir, home, kernel } = await project()
  const actor = { type: 'agent', id: 'bench' }
  let early = 0
  let peak = 0
  const started = performance.now()
  for (let i = 1; i <= CALLS; i++) {
    await kernel.gate.invoke('bench.noop', { i }, actor)
    if (i % 1000 === 0) {
      const rss = process.memoryUsage().rss
      peak = Math.max(peak, rss)
      if (i === Math.ceil(CALLS / 10 / 1000) * 1000) early = peak
    }
  }
  const seconds = (performance.now() - started) / 1000
  await kernel.close()
  const verified = await verifyAudit(path.join(home, 'audit'))
  report(
    `${CALLS} in-process gate calls`,
    {
      calls_per_s: Math.round(CALLS / seconds),
      rss_after_tenth_mb: mb(early),
      peak_rss_mb: mb(peak),
      peak_to_tenth: peak / early,
      records_on_disk: verified.records,
      verified: verified.ok,
    },
    'peak ≤ 1.5× the RSS after a tenth, every record on disk',
  )
  await rm(dir, { recursive: true, force: true })
}

// 2. chains: memory and how far the journal lags the run
function runYaml(n, shape) {
  const lines = ['apiVersion: driftcore/v1', 'kind: Workflow', `name: ${shape}`, 'steps:']
  for (let i = 0; i < n; i++)
    lines.push(
      `  - { id: s${i}, type: worker, tool: bench.noop, with: { i: ${i} }${shape === 'chain' && i > 0 ? `, depends_on: [s${i - 1}]` : ''} }`,
    )
  return lines.join('\n') + '\n'
}

// `file` was written by the parent process: building a 50k-step text here left ~14 MB of RSS
// behind that counted in the larger run's peak, where a user's run reads its file from disk.
async function chain(n, shape, file) {
  const { dir, home, kernel } = await project()
  globalThis.gc?.()
  const before = process.memoryUsage().rss
  const heapBefore = process.memoryUsage().heapUsed
  const svc = new WorkflowService(kernel, { actor: { type: 'human', id: 'bench' } })
  const loaded = await svc.load(file)
  let applied = 0
  let runId
  let lag = 0
  let peak = before
  // Reads only what was appended since the last look: reading the whole journal every 50 ms
  // would itself hold tens of MB at 50k steps and count in the peak it measures.
  let onDisk = 0
  let read = 0
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().rss)
    if (!runId) return
    const file = path.join(home, 'runs', runId, 'journal.jsonl')
    const size = statSync(file).size
    if (size > read) {
      const fd = openSync(file, 'r')
      const buffer = Buffer.alloc(size - read)
      readSync(fd, buffer, 0, buffer.length, read)
      closeSync(fd)
      const end = buffer.lastIndexOf(0x0a) + 1
      onDisk += buffer.toString('utf8', 0, end).split('"type":"step.succeeded"').length - 1
      read += end
    }
    lag = Math.max(lag, applied - onDisk)
  }
  const timer = setInterval(sample, 50)
  const started = performance.now()
  const { state } = await svc.start(
    loaded,
    {},
    {
      onEvent(event) {
        if (event.type === 'run.created') runId = event.run_id
        if (event.type === 'step.succeeded') applied += 1
      },
    },
  )
  const ms = performance.now() - started
  clearInterval(timer)
  sample()
  // What the finished run still holds (definition, compiled steps, every step's state), per step.
  globalThis.gc?.()
  const liveHeap = process.memoryUsage().heapUsed - heapBefore
  await kernel.close()
  await rm(dir, { recursive: true, force: true })
  if (state.status !== 'succeeded') throw new Error(`${shape} ${n} ended ${state.status}`)
  return { ms, peak, lag, before, liveHeap }
}

if (CHILD) {
  const r = await chain(Number(CHILD), SHAPE, process.env.WRITERS_BENCH_FILE)
  process.stdout.write(JSON.stringify(r) + '\n')
} else {
  const runs = []
  const files = await mkdtemp(path.join(os.tmpdir(), 'driftcore-bench-workflows-'))
  for (const n of STEPS) {
    const file = path.join(files, `${SHAPE}-${n}.yaml`)
    await writeFile(file, runYaml(n, SHAPE))
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
      env: { ...process.env, WRITERS_BENCH_CHILD: String(n), WRITERS_BENCH_FILE: file },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    if (child.status !== 0) throw new Error(`the ${n}-step run exited with ${child.status}`)
    const r = JSON.parse(child.stdout.trim().split('\n').at(-1))
    runs.push(r)
    report(`${SHAPE} of ${n} steps (own process, fsync=batch)`, {
      ms_per_step: r.ms / n,
      rss_before_run_mb: mb(r.before),
      peak_rss_mb: mb(r.peak),
      live_heap_bytes_per_step: globalThis.gc ? r.liveHeap / n : 'run with --expose-gc',
      journal_lag_steps: r.lag,
    })
  }
  await rm(files, { recursive: true, force: true })
  if (runs.length > 1) {
    report(
      `${SHAPE} ${STEPS[0]} → ${STEPS.at(-1)} steps`,
      {
        peak_rss_ratio: runs.at(-1).peak / runs[0].peak,
        per_step_ratio: runs.at(-1).ms / STEPS.at(-1) / (runs[0].ms / STEPS[0]),
        journal_lag_steps: Math.max(...runs.map((r) => r.lag)),
      },
      'peak RSS ≤ 1.5×, per step ≈ 1 (linear), journal lag ≤ one batch (4,096 lines)',
    )
  }
}
