// Workflow engine benchmarks (built code from dist/; run `npm run build` first):
//   1. 10,000 no-op worker steps as 100 parallel chains of 100, fsync=batch: total wall,
//      engine overhead per step (against the same 10,000 gate calls made directly), memory peak.
//   2. Replay of a 100,000-event journal, as `workflow resume` does before it continues.
/* global performance, setInterval, clearInterval */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { z } from 'zod'
import { openKernel } from '../../dist/kernel/open.js'
import { coreCapabilities } from '../../dist/registry/core-capabilities.js'
import { WorkflowService } from '../../dist/workflow/service.js'
import { JournalWriter } from '../../dist/workflow/journal/writer.js'
import { readJournal } from '../../dist/workflow/journal/reader.js'
import { replay } from '../../dist/workflow/journal/replay.js'
import { Redactor } from '../../dist/audit/redact.js'
import { report } from './stats.mjs'

const CHAINS = 100
const LENGTH = 100
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

async function project() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-bench-wf-'))
  const home = path.join(dir, '.driftcore')
  await mkdir(home, { recursive: true })
  await writeFile(
    path.join(home, 'config.yaml'),
    'audit:\n  fsync: batch\nworkflow:\n  concurrency: 100\nlimits:\n  max_yaml_bytes: 16777216\n',
  )
  const kernel = await openKernel({
    home,
    env: { ...process.env },
    contributions: [
      { plugin: 'driftcore', capabilities: coreCapabilities },
      { plugin: 'bench', capabilities: { tools: [noop] } },
    ],
  })
  return { dir, kernel }
}

function chainsYaml() {
  const lines = [
    'apiVersion: driftcore/v1',
    'kind: Workflow',
    'name: bench',
    `concurrency: ${CHAINS}`,
    'steps:',
  ]
  for (let c = 0; c < CHAINS; c++)
    for (let i = 0; i < LENGTH; i++) {
      const dep = i === 0 ? '' : `, depends_on: [c${c}_${i - 1}]`
      lines.push(`  - { id: c${c}_${i}, type: worker, tool: bench.noop, with: { i: ${i} }${dep} }`)
    }
  return lines.join('\n') + '\n'
}

function memorySampler() {
  let rss = 0
  let heap = 0
  const sample = () => {
    const m = process.memoryUsage()
    rss = Math.max(rss, m.rss)
    heap = Math.max(heap, m.heapUsed)
  }
  const timer = setInterval(sample, 10)
  return () => {
    clearInterval(timer)
    sample()
    return { rss_peak_mb: rss / 1048576, heap_peak_mb: heap / 1048576 }
  }
}

async function benchSteps() {
  // Baseline: the same gate calls (with idempotency keys, 100 at a time) without the engine.
  {
    const { dir, kernel } = await project()
    const started = performance.now()
    await Promise.all(
      Array.from({ length: CHAINS }, async (_, c) => {
        for (let i = 0; i < LENGTH; i++)
          await kernel.gate.invoke('bench.noop', { i }, actor, { idempotencyKey: `base/${c}/${i}` })
      }),
    )
    await kernel.close()
    var gateMs = performance.now() - started
    await rm(dir, { recursive: true, force: true })
    report('gate only: 10,000 calls, 100 concurrent', { wall_ms: gateMs, per_call_ms: gateMs / 10000 })
  }
  const { dir, kernel } = await project()
  const file = path.join(dir, 'bench.yaml')
  await writeFile(file, chainsYaml())
  globalThis.gc?.()
  const stop = memorySampler()
  const svc = new WorkflowService(kernel, { actor })
  const started = performance.now()
  const loaded = await svc.load(file)
  const parsed = performance.now()
  const { state } = await svc.start(loaded, {})
  await kernel.close()
  const wall = performance.now() - started
  const run = performance.now() - parsed
  const memory = stop()
  if (state.status !== 'succeeded') throw new Error(`run ended ${state.status}: ${state.summary}`)
  report(
    'workflow: 10,000 no-op steps (100 chains × 100), fsync=batch',
    {
      wall_ms: wall,
      load_ms: parsed - started,
      run_ms: run,
      per_step_ms: run / 10000,
      engine_overhead_per_step_ms: (run - gateMs) / 10000,
      ...memory,
    },
    'wall ≤ 3000 ms',
  )
  await rm(dir, { recursive: true, force: true })
}

async function benchReplay() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-bench-replay-'))
  const file = path.join(dir, 'journal.jsonl')
  const steps = 10_000
  const ids = Array.from({ length: steps }, (_, i) => `s${i}`)
  const writer = await JournalWriter.open(
    file,
    { validBytes: 0, lastSeq: 0 },
    {
      fsync: 'off',
      batchIntervalMs: 10,
      redactor: new Redactor(),
      now: Date.now,
    },
  )
  await writer.append({
    type: 'run.created',
    run_id: 'run_bench',
    workflow_name: 'bench',
    workflow_sha256: 'x',
    input: {},
    actor,
    trace_id: 't',
  })
  let events = 1
  // Ten transitions per step: four failed attempts with retries, then success: 100,000 events.
  for (const step of ids) {
    for (let attempt = 1; attempt <= 5; attempt++) {
      writer.append({
        type: 'step.started',
        step,
        attempt,
        trace_id: `trace-${step}-${attempt}`,
        idempotency_key: `run_bench/${step}/${attempt}`,
      })
      if (attempt < 5)
        writer.append({
          type: 'step.attempt_failed',
          step,
          attempt,
          error: { code: 'unavailable', message: 'busy' },
          retry_at: new Date().toISOString(),
        })
      else
        writer.append({
          type: 'step.succeeded',
          step,
          attempt,
          output: { ok: true, n: attempt },
          decision: 'ALLOW',
          duration_ms: 1.5,
        })
      events += 2
    }
  }
  await writer.close()
  globalThis.gc?.()
  const started = performance.now()
  const read = await readJournal(file)
  const parsed = performance.now()
  const state = replay(read.events, ids)
  const done = performance.now()
  if (read.events.length !== events || state.steps.s9999.status !== 'succeeded')
    throw new Error('replay mismatch')
  report(
    `replay: ${events} events`,
    { read_and_verify_ms: parsed - started, replay_ms: done - parsed, total_ms: done - started },
    'total ≤ 1000 ms',
  )
  await rm(dir, { recursive: true, force: true })
}

await benchSteps()
await benchReplay()
