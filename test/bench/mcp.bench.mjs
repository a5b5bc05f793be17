// MCP over stdio: 2,000 sequential tools/call of a no-op read-only tool through `driftcore mcp
// serve` (policy and audit on, as shipped), side by side with the reference server
// (@modelcontextprotocol/server-everything, its `echo` tool), both driven by the official SDK
// client in this process. The calls run in rounds (BENCH_ROUNDS, default 8); in each round both
// servers take the same number of calls, one after the other, the order alternating from round
// to round, so both see the same machine load. The ratio reported is the median of the
// per-round ratios: on a shared machine one round's load can double both figures, and the
// median is what a burst of load cannot move. Also the CPU each server process spends per call
// (utime + stime from /proc/<pid>/stat, threads included: the thread pool's fsyncs and V8's
// compiler and GC), and the time from spawn to initialized. Targets (issue 16 item 6): p50 and
// p90 per call within 1.3x of the reference, spawn to initialized within 1.5x. BENCH_CALLS
// (default 2000) and BENCH_STARTS (default 5) scale it; BENCH_PLAIN=1 starts driftcore without
// its start-up bundle and compile cache (the files tsc wrote, as before issue 16 item 7) for a
// before/after figure.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { setImmediate } from 'node:timers/promises'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { isolatedProject } from '../../plugins/mcp/scripts/isolated-project.mjs'
import { report, summarize } from './stats.mjs'

const repo = path.resolve(import.meta.dirname, '../..')
const cli = path.join(repo, 'bin/run.js')
const everything = path.join(repo, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js')
const fixture = path.join(repo, 'plugins/mcp/test/fixtures/plugins/mcp-fixture')
const CALLS = Number(process.env.BENCH_CALLS ?? 2000)
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 8))
const PER_ROUND = Math.ceil(CALLS / ROUNDS)
const WARMUP = 100
const STARTS = Number(process.env.BENCH_STARTS ?? 5)

const project = await isolatedProject('driftcore-bench-mcp-', {
  DRIFTCORE_ACTOR: 'human:bench',
  ...(process.env.BENCH_PLAIN === '1' ? { DRIFTCORE_BUNDLE: '0', NODE_DISABLE_COMPILE_CACHE: '1' } : {}),
})
const { dir, env } = project
const linked = spawnSync(process.execPath, [cli, 'plugins', 'link', '--no-install', fixture], {
  cwd: dir,
  env,
})
if (linked.status !== 0) throw new Error(`plugins link failed: ${linked.stderr}`)

const servers = {
  driftcore: { command: process.execPath, args: [cli, 'mcp', 'serve'], tool: 'fixture.noop', arguments: {} },
  reference: {
    command: process.execPath,
    args: [everything, 'stdio'],
    tool: 'echo',
    arguments: { message: 'hi' },
  },
}

async function connect(server) {
  const started = performance.now()
  const client = new Client({ name: 'bench', version: '1.0.0' })
  const transport = new StdioClientTransport({ ...server, cwd: dir, env, stderr: 'ignore' })
  await client.connect(transport)
  return { client, pid: transport.pid, startMs: performance.now() - started }
}

async function calls(client, server, n, samples) {
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    const result = await client.callTool({ name: server.tool, arguments: server.arguments })
    samples?.push(performance.now() - t0)
    if (result.isError) throw new Error(`${server.tool} failed: ${JSON.stringify(result.content)}`)
  }
}

// CPU time a process has used, all its threads, in ms (utime + stime, fields 14 and 15).
const TICK_MS = 1000 / (Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100)
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS
}

const median = (values) => summarize(values).p50

// Spawn to initialized: median of a few fresh starts each.
const startTimes = { driftcore: [], reference: [] }
for (let i = 0; i < STARTS; i++) {
  for (const [name, server] of Object.entries(servers)) {
    const { client, startMs } = await connect(server)
    startTimes[name].push(startMs)
    await client.close()
  }
}

const running = {}
const samples = { driftcore: [], reference: [] }
const elapsed = { driftcore: 0, reference: 0 }
const cpu = { driftcore: 0, reference: 0 }
const ratios = { p50: [], p90: [], cpu: [] }
for (const [name, server] of Object.entries(servers)) {
  running[name] = await connect(server)
  await calls(running[name].client, server, WARMUP)
}
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? ['driftcore', 'reference'] : ['reference', 'driftcore']
  const figures = {}
  for (const name of order) {
    const { client, pid } = running[name]
    const roundSamples = []
    const cpu0 = cpuMs(pid)
    const t0 = performance.now()
    await calls(client, servers[name], PER_ROUND, roundSamples)
    elapsed[name] += performance.now() - t0
    const used = cpuMs(pid) - cpu0
    cpu[name] += used
    samples[name].push(...roundSamples)
    figures[name] = { ...summarize(roundSamples), cpu: used }
  }
  ratios.p50.push(figures.driftcore.p50 / figures.reference.p50)
  ratios.p90.push(figures.driftcore.p90 / figures.reference.p90)
  if (figures.reference.cpu > 0) ratios.cpu.push(figures.driftcore.cpu / figures.reference.cpu)
}
for (const { client } of Object.values(running)) await client.close()

for (const name of Object.keys(servers)) {
  const s = summarize(samples[name])
  report(`tools/call ${name} (${servers[name].tool}), all rounds`, {
    n: s.n,
    p50_ms: s.p50,
    p90_ms: s.p90,
    p99_ms: s.p99,
    calls_per_s: (s.n / elapsed[name]) * 1000,
    server_cpu_ms_per_call: cpu[name] / s.n,
  })
}
const spread = (values) => `${fmtRatio(Math.min(...values))}–${fmtRatio(Math.max(...values))}`
function fmtRatio(v) {
  return v.toFixed(2)
}
report(
  `tools/call p50 ratio driftcore/reference, median of ${ROUNDS} rounds`,
  { ratio: median(ratios.p50), rounds: spread(ratios.p50) },
  '≤ 1.3×',
)
report(
  `tools/call p90 ratio driftcore/reference, median of ${ROUNDS} rounds`,
  { ratio: median(ratios.p90), rounds: spread(ratios.p90) },
  '≤ 1.3×',
)
report('server CPU per call ratio driftcore/reference (all rounds)', {
  ratio: cpu.driftcore / samples.driftcore.length / (cpu.reference / samples.reference.length),
  ...(ratios.cpu.length > 0 ? { rounds: spread(ratios.cpu) } : {}),
})
for (const name of Object.keys(servers))
  report(`spawn to initialized ${name}`, { ...summarize(startTimes[name]), unit: 'ms' })
report(
  'spawn to initialized ratio driftcore/reference (medians)',
  { ratio: summarize(startTimes.driftcore).p50 / summarize(startTimes.reference).p50 },
  '≤ 1.5×',
)

// Where the time goes: the same call through the gate in-process, with no MCP around it (the
// same tool, the default policy, audit on), once back to back and once after the process slept
// for a millisecond, as a server does between requests. The second is the one a server pays: on
// a machine like this one, code the CPU has not just run costs several times as much.
const { openKernel } = await import('driftcore')
const core = (await import('../../dist/registry/core-capabilities.js')).default
const fixtureTools = (await import(path.join(fixture, 'hooks/capabilities.js'))).default
const kernel = await openKernel({
  home: path.join(dir, '.driftcore'),
  env,
  contributions: [
    { plugin: 'driftcore', capabilities: await core() },
    { plugin: 'fixture', capabilities: await fixtureTools() },
  ],
})
async function gateCalls(n, pause) {
  const samples = []
  for (let i = 0; i < WARMUP + n; i++) {
    await pause()
    const t0 = performance.now()
    await kernel.gate.invoke('fixture.noop', {}, { type: 'agent', id: 'bench/in-process' })
    if (i >= WARMUP) samples.push(performance.now() - t0)
  }
  return summarize(samples)
}
const hot = await gateCalls(CALLS, () => setImmediate())
const cold = await gateCalls(CALLS / 4, () => new Promise((resolve) => setTimeout(resolve, 1)))
await kernel.close()
report('gate.invoke in-process, back to back (part of the driftcore figure)', {
  n: hot.n,
  p50_ms: hot.p50,
  p99_ms: hot.p99,
})
report('gate.invoke in-process, 1 ms idle before each call', {
  n: cold.n,
  p50_ms: cold.p50,
  p99_ms: cold.p99,
})

// Proof that the gate ran: one audit record per driftcore call (policy decided each).
const audited = spawnSync(
  process.execPath,
  [cli, 'audit', 'query', '--type', 'tool.call', '--subject', 'fixture.noop', '--json'],
  { cwd: dir, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
)
const records = JSON.parse(audited.stdout).filter((r) => r.actor.id !== 'bench/in-process')
report('audit records for driftcore calls', {
  records: records.length,
  expected: ROUNDS * PER_ROUND + WARMUP,
  decision: records[0]?.data?.decision,
})
await project.remove()
