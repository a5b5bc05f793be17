// The sandbox against git and cp on the same tree (built code from dist/; `npm run build` first).
// A Drupal-sized site (SANDBOX_BENCH_FILES, default 20000 files) is made once; then, side by side
// in this run:
//   init                 against `cp -a` of the same site               (target ≤ 2×)
//   first snapshot       against `git init && git add -A && git commit` (target ≤ 2×)
//   reset, N edits       against `git checkout . && git clean -fdq`     (target ≤ 2×), N in
//                        SANDBOX_BENCH_EDITS (default 1,1000), and with nothing changed
//   snapshot, N edits    against `git add -A && git commit`             (target ≤ 2×)
// Every figure is a median of SANDBOX_BENCH_ROUNDS (default 3) rounds. The anchors are plain git
// and cp in a copy of the site. Each operation is measured twice: in-process (`op`: the tool
// through the gate, with policy, locks, audit and git under bubblewrap, as users get it, without
// the CLI's start), then as the whole command (`cli`: `node bin/run.js sandbox ...`, start-up
// included), each beside its anchor measured in the same rounds; the target is the whole
// command's. SANDBOX_BENCH_CLI=0 skips the CLI pass. SANDBOX_BENCH_TMP picks the folder (default
// the OS temp dir; /dev/shm takes the disk out). Printed, not asserted.
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { openKernel } from '../../dist/index.js'
import { coreCapabilities } from '../../dist/registry/core-capabilities.js'
import scaffold from '../../plugins/scaffold/dist/hooks/capabilities.js'
import { report, summarize } from './stats.mjs'

const FILES = Number(process.env.SANDBOX_BENCH_FILES ?? 20_000)
const EDITS = (process.env.SANDBOX_BENCH_EDITS ?? '1,1000').split(',').map(Number)
const ROUNDS = Number(process.env.SANDBOX_BENCH_ROUNDS ?? 3)
const TMP = process.env.SANDBOX_BENCH_TMP ?? os.tmpdir()
const rel = (i) => path.join('web/core/modules', `m${i % 200}`, `src/F${i}.php`)
const CLI = process.env.SANDBOX_BENCH_CLI !== '0'
const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

const dir = await mkdtemp(path.join(TMP, 'driftcore-bench-sandbox-'))
const gitEnv = {
  ...process.env,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@localhost',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@localhost',
}
const timed = async (work) => {
  const started = performance.now()
  await work()
  return performance.now() - started
}
const sh = (cwd, file, ...args) => execFileSync(file, args, { cwd, env: gitEnv, stdio: 'ignore' })
const ratio = (ours, anchor) => (ours / anchor).toFixed(2) + '×'
let pass = 'op'
const line = (name, ours, anchor, anchorName) =>
  report(
    `[${pass}] ${name}`,
    { driftcore_ms: ours, [`${anchorName}_ms`]: anchor, ratio: ratio(ours, anchor) },
    pass === 'cli' ? 'ratio ≤ 2×' : 'the whole command’s ratio ≤ 2×; this is the operation alone',
  )

try {
  const home = path.join(dir, 'project/.driftcore')
  await mkdir(path.join(home, 'policy'), { recursive: true })
  await mkdir(path.join(dir, 'project-cli/.driftcore'), { recursive: true })
  await writeFile(
    path.join(home, 'policy/allow.yaml'),
    'apiVersion: driftcore/v1\nkind: PolicyBundle\nname: bench\nrules:\n  - id: all\n    decision: ALLOW\n',
  )
  await writeFile(path.join(home, 'config.yaml'), 'launcher:\n  allowlist: [git]\n')
  const source = path.join(dir, 'project/site')
  for (let i = 0; i < FILES; i++) {
    const file = path.join(source, rel(i))
    await mkdir(path.dirname(file), { recursive: true })
    await writeFile(file, `<?php\n// file ${i}\n${'x'.repeat(i % 2000)}\n`)
  }
  const packageJson = JSON.parse(
    await readFile(new URL('../../plugins/scaffold/package.json', import.meta.url)),
  )
  const kernel = await openKernel({
    home,
    env: { ...process.env, DRIFTCORE_ACTOR: 'human:bench' },
    contributions: [
      { plugin: 'driftcore', capabilities: coreCapabilities },
      { plugin: packageJson.name, capabilities: await scaffold(), packageJson },
    ],
  })
  const actor = { type: 'human', id: 'bench' }
  const call = (tool, input = {}) => timed(() => kernel.gate.invoke(tool, input, actor))
  const site = path.join(home, 'sandbox/site')
  const anchor = path.join(dir, 'anchor')

  await measure(call, home, site, source, anchor)
  const verify = await call('sandbox.reset', { verify: true })
  report('[op] sandbox.reset --verify, reads every file (ms)', { driftcore_ms: verify })
  await kernel.close()

  if (CLI) {
    // The same again as whole commands, in a second project so that init starts afresh.
    pass = 'cli'
    const project = path.join(dir, 'project-cli')
    sh(
      dir,
      'cp',
      '-a',
      path.join(dir, 'project/.driftcore/policy'),
      path.join(dir, 'project/.driftcore/config.yaml'),
      path.join(project, '.driftcore') + '/',
    )
    const env = { ...gitEnv, DRIFTCORE_ACTOR: 'human:bench' }
    const cli = (tool, input = {}) => {
      const args = tool.replace('.', ' ').split(' ')
      if (input.from) args.push('--from', input.from)
      return timed(() =>
        execFileSync(process.execPath, [BIN, ...args], { cwd: project, env, stdio: 'ignore' }),
      )
    }
    const cliSource = path.join(project, 'site')
    sh(dir, 'cp', '-a', source, cliSource)
    await measure(
      cli,
      path.join(project, '.driftcore'),
      path.join(project, '.driftcore/sandbox/site'),
      cliSource,
      path.join(dir, 'anchor-cli'),
    )
  }
} finally {
  await rm(dir, { recursive: true, force: true })
}

// init, first snapshot, resets and snapshots of N edits, each beside its anchor: `call` runs a
// tool (in-process, or as the whole CLI command) on the sandbox at `site`.
async function measure(call, home, site, source, anchor) {
  const cpMs = await timed(() => sh(dir, 'cp', '-a', source, anchor))
  const initMs = await call('sandbox.init', { from: path.relative(path.dirname(home), source) })
  line(`sandbox.init, ${FILES} files (ms)`, initMs, cpMs, 'cp_a')

  const gitFirst = await timed(() => {
    sh(anchor, 'git', 'init', '-q')
    sh(anchor, 'git', 'add', '-A')
    sh(anchor, 'git', 'commit', '-qm', 'snapshot')
  })
  const firstMs = await call('sandbox.snapshot')
  line('sandbox.snapshot, first (ms)', firstMs, gitFirst, 'git_init_add_commit')

  let generation = 0
  const edit = async (n) => {
    generation += 1
    for (let k = 0; k < n; k++) {
      const i = Math.floor((k * FILES) / n)
      const text = `<?php\n// edited ${generation}\n`
      await writeFile(path.join(site, rel(i)), text)
      await writeFile(path.join(anchor, rel(i)), text)
    }
    // The edits' dirty pages go to disk now, outside the timings: otherwise their writeback lands
    // on whichever operation runs next (git's, then ours), not on the one that caused it.
    sh(dir, 'sync')
  }
  const gitReset = () =>
    timed(() => {
      sh(anchor, 'git', 'checkout', '.')
      sh(anchor, 'git', 'clean', '-fdq')
    })

  const clean = { ours: [], git: [] }
  for (let r = 0; r < ROUNDS; r++) {
    clean.git.push(await gitReset())
    clean.ours.push(await call('sandbox.reset'))
  }
  line(
    'sandbox.reset, nothing changed (ms)',
    summarize(clean.ours).p50,
    summarize(clean.git).p50,
    'git_checkout_clean',
  )

  for (const n of EDITS) {
    const reset = { ours: [], git: [] }
    const snap = { ours: [], git: [] }
    for (let r = 0; r < ROUNDS; r++) {
      await edit(n)
      reset.git.push(await gitReset())
      reset.ours.push(await call('sandbox.reset'))
      await edit(n)
      snap.git.push(
        await timed(() => {
          sh(anchor, 'git', 'add', '-A')
          sh(anchor, 'git', 'commit', '-qm', `round ${r}`)
        }),
      )
      snap.ours.push(await call('sandbox.snapshot'))
    }
    line(
      `sandbox.reset, ${n} edits (ms)`,
      summarize(reset.ours).p50,
      summarize(reset.git).p50,
      'git_checkout_clean',
    )
    line(
      `sandbox.snapshot, ${n} edits (ms)`,
      summarize(snap.ours).p50,
      summarize(snap.git).p50,
      'git_add_commit',
    )
  }
}
