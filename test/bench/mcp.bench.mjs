// MCP over stdio: 2,000 sequential tools/call of a no-op read-only tool through `driftcore mcp
// serve` (policy and audit on, as shipped), side by side with the reference server
// (@modelcontextprotocol/server-everything, its `echo` tool), both driven by the official SDK
// client in this process. The calls alternate in blocks so both see the same machine load.
// Also: time from spawn to initialized. Targets (issue 16 item 6): p50 and p90 per call within
// 1.3x of the reference, spawn to initialized within 1.5x. BENCH_CALLS (default 2000) and
// BENCH_STARTS (default 5) scale it; BENCH_PLAIN=1 starts driftcore without its start-up bundle
// and compile cache (the files tsc wrote, as before issue 16 item 7) for a before/after figure.
import { spawnSync } from 'node:child_process'
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
const BLOCK = Math.min(250, CALLS)
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
  await client.connect(new StdioClientTransport({ ...server, cwd: dir, env, stderr: 'ignore' }))
  return { client, startMs: performance.now() - started }
}

async function calls(client, server, n, samples) {
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    const result = await client.callTool({ name: server.tool, arguments: server.arguments })
    samples?.push(performance.now() - t0)
    if (result.isError) throw new Error(`${server.tool} failed: ${JSON.stringify(result.content)}`)
  }
}

// Spawn to initialized: median of a few fresh starts each.
const startTimes = { driftcore: [], reference: [] }
for (let i = 0; i < STARTS; i++) {
  for (const [name, server] of Object.entries(servers)) {
    const { client, startMs } = await connect(server)
    startTimes[name].push(startMs)
    await client.close()
  }
}

const clients = {}
const samples = { driftcore: [], reference: [] }
const elapsed = { driftcore: 0, reference: 0 }
for (const [name, server] of Object.entries(servers)) {
  clients[name] = (await connect(server)).client
  await calls(clients[name], server, WARMUP)
}
for (let done = 0; done < CALLS; done += BLOCK) {
  for (const [name, server] of Object.entries(servers)) {
    const t0 = performance.now()
    await calls(clients[name], server, BLOCK, samples[name])
    elapsed[name] += performance.now() - t0
  }
}
for (const client of Object.values(clients)) await client.close()

const figures = {}
for (const name of Object.keys(servers)) {
  const s = summarize(samples[name])
  figures[name] = s
  report(`tools/call ${name} (${servers[name].tool})`, {
    n: s.n,
    p50_ms: s.p50,
    p90_ms: s.p90,
    p99_ms: s.p99,
    calls_per_s: (s.n / elapsed[name]) * 1000,
  })
}
report(
  'tools/call p50 ratio driftcore/reference',
  { ratio: figures.driftcore.p50 / figures.reference.p50 },
  '≤ 1.3×',
)
report(
  'tools/call p90 ratio driftcore/reference',
  { ratio: figures.driftcore.p90 / figures.reference.p90 },
  '≤ 1.3×',
)
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
  expected: CALLS + WARMUP,
  decision: records[0]?.data?.decision,
})
await project.remove()
