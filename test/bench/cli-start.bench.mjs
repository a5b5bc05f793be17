// CLI start-up: `driftcore --version`, `driftcore tools list --json` and a gated
// `driftcore tools call config.effective` (validate, policy, run, audit with fsync), median wall
// time, beside a bare oclif CLI with one command built here (same @oclif/core, with a manifest,
// like ours), all in one run. The tools call is also measured without the start-up bundle and
// the compile cache (DRIFTCORE_BUNDLE=0 NODE_DISABLE_COMPILE_CACHE=1: the files tsc wrote, as
// before issue 16 item 7), so the figure shows what they buy. Needs `npm run build`.
// BENCH_RUNS (default 21) sets the samples per case.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { report, summarize } from './stats.mjs'

const repo = path.resolve(import.meta.dirname, '../..')
const runs = Number(process.env.BENCH_RUNS ?? 21)

function bareCli() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bare-oclif-'))
  mkdirSync(path.join(dir, 'bin'))
  mkdirSync(path.join(dir, 'commands'))
  symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'))
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({
      name: 'bare',
      version: '1.0.0',
      type: 'module',
      files: ['bin', 'commands'],
      oclif: { bin: 'bare', commands: './commands', topicSeparator: ' ' },
    }),
  )
  writeFileSync(
    path.join(dir, 'bin/run.js'),
    "import { execute } from '@oclif/core'\nawait execute({ dir: import.meta.url })\n",
  )
  writeFileSync(
    path.join(dir, 'commands/hello.js'),
    "import { Command } from '@oclif/core'\nexport default class Hello extends Command {\n  static enableJsonFlag = true\n  async run() { return [{ id: 'hello' }] }\n}\n",
  )
  execFileSync(process.execPath, [path.join(repo, 'node_modules/oclif/bin/run.js'), 'manifest'], {
    cwd: dir,
    stdio: 'ignore',
  })
  return dir
}

function time(args, cwd, env) {
  const started = process.hrtime.bigint()
  const r = spawnSync(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`)
  return Number(process.hrtime.bigint() - started) / 1e6
}

const bare = bareCli()
const project = mkdtempSync(path.join(os.tmpdir(), 'driftcore-bench-start-'))
const env = {
  ...process.env,
  HOME: project,
  XDG_CONFIG_HOME: path.join(project, 'c'),
  XDG_DATA_HOME: path.join(project, 'd'),
  XDG_CACHE_HOME: path.join(project, 'x'),
}
const cli = path.join(repo, 'bin/run.js')
const plain = { ...env, DRIFTCORE_BUNDLE: '0', NODE_DISABLE_COMPILE_CACHE: '1' }
const init = spawnSync(process.execPath, [cli, 'init'], { cwd: project, env, stdio: 'ignore' })
if (init.status !== 0) throw new Error('driftcore init failed')
const call = [cli, 'tools', 'call', 'config.effective']
const cases = {
  'driftcore --version': [cli, '--version'],
  'bare --version': [path.join(bare, 'bin/run.js'), '--version'],
  'driftcore tools list --json': [cli, 'tools', 'list', '--json'],
  'bare hello --json': [path.join(bare, 'bin/run.js'), 'hello', '--json'],
  'driftcore tools call config.effective': call,
  'driftcore tools call config.effective, unbundled, no compile cache': call,
}
const envOf = (name) => (name.includes('unbundled') ? plain : env)
const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]))
// Warms the file cache and writes the compile cache, as any earlier run would have.
for (const [name, args] of Object.entries(cases)) time(args, project, envOf(name))
for (let i = 0; i < runs; i++)
  for (const [name, args] of Object.entries(cases)) samples[name].push(time(args, project, envOf(name)))
const median = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v).p50]))
for (const [name, ms] of Object.entries(median)) report(name, { median_ms: ms, runs })
report('ratio --version', { ratio: median['driftcore --version'] / median['bare --version'] }, '≤ 1.0×')
report(
  'ratio tools list --json',
  { ratio: median['driftcore tools list --json'] / median['bare hello --json'] },
  '≤ 1.5×',
)
report(
  'ratio tools call config.effective',
  { ratio: median['driftcore tools call config.effective'] / median['bare hello --json'] },
  '≤ 1.5×',
)
report('ratio tools call config.effective, unbundled, no compile cache', {
  ratio:
    median['driftcore tools call config.effective, unbundled, no compile cache'] /
    median['bare hello --json'],
})
rmSync(bare, { recursive: true, force: true })
rmSync(project, { recursive: true, force: true })
