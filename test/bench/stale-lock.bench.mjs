// Stale locks (built code from dist/; run `npm run build` first): a process takes the audit
// log's lock and is killed with -9 while holding it; the wall time of the next `tools call` in
// the same project is printed (issue 12: it used to stall ~10 s, the time-based stale rule),
// beside a call with no lock left behind. Printed, not asserted.
/* global performance */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtemp, mkdir, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

const repo = path.resolve(import.meta.dirname, '../..')
const cli = path.join(repo, 'bin/run.js')
const hold = path.join(repo, 'test/faults/helpers/hold-lock.mjs')
const dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-bench-lock-'))
const env = {
  PATH: process.env.PATH,
  HOME: path.join(dir, 'home'),
  XDG_CONFIG_HOME: path.join(dir, 'home/.config'),
  XDG_DATA_HOME: path.join(dir, 'home/.local/share'),
  XDG_CACHE_HOME: path.join(dir, 'home/.cache'),
  DRIFTCORE_ACTOR: 'human:bench',
  NO_COLOR: '1',
}
await mkdir(path.join(dir, '.driftcore'), { recursive: true })

function call() {
  const started = performance.now()
  // A checkpoint takes the audit lock and appends: the first thing a stale lock would stall.
  const r = spawnSync('node', [cli, 'audit', 'checkpoint', '--json'], { cwd: dir, env, encoding: 'utf8' })
  return { ms: performance.now() - started, status: r.status }
}

async function killHolder(target) {
  const child = spawn('node', [hold, target], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise((resolve) => child.stdout.on('data', (d) => d.toString().includes('held') && resolve()))
  child.kill('SIGKILL')
  await new Promise((resolve) => child.on('exit', resolve))
}

try {
  spawnSync('node', [cli, 'tools', 'list'], { cwd: dir, env }) // warm up: creates the log
  const clean = call()
  await killHolder(path.join(dir, '.driftcore/audit/HEAD.json'))
  const stale = call()
  console.log(`next CLI call with no lock left behind: ${clean.ms.toFixed(0)} ms (exit ${clean.status})`)
  console.log(`next CLI call after a holder was killed -9: ${stale.ms.toFixed(0)} ms (exit ${stale.status})`)
} finally {
  await rm(dir, { recursive: true, force: true })
}
