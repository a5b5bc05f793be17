// Snapshot and reset of a Drupal-sized site (about as many files as core + a few contrib
// modules): how long an agent's experiment loop waits on the sandbox. Uses the built code
// (npm run build first). Figures only; nothing asserts.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { openKernel } from '../../dist/index.js'
import scaffold from '../../plugins/scaffold/dist/hooks/capabilities.js'
import { report, summarize } from './stats.mjs'

const FILES = Number(process.env.BENCH_FILES ?? 20_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)

const dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-bench-sandbox-'))
try {
  const home = path.join(dir, '.driftcore')
  await mkdir(path.join(home, 'policy'), { recursive: true })
  await writeFile(
    path.join(home, 'policy/allow.yaml'),
    'apiVersion: driftcore/v1\nkind: PolicyBundle\nname: bench\nrules:\n  - id: all\n    decision: ALLOW\n',
  )
  const source = path.join(dir, 'site')
  for (let i = 0; i < FILES; i++) {
    const file = path.join(source, 'web/core/modules', `m${i % 200}`, `src/F${i}.php`)
    await mkdir(path.dirname(file), { recursive: true })
    await writeFile(file, `<?php\n// file ${i}\n${'x'.repeat(i % 2000)}\n`)
  }
  const kernel = await openKernel({
    home,
    env: { ...process.env, DRIFTCORE_ACTOR: 'human:bench' },
    contributions: [{ plugin: '@driftcore/plugin-scaffold', capabilities: await scaffold() }],
  })
  const actor = { type: 'human', id: 'bench' }
  const call = async (tool, input = {}) => {
    const started = performance.now()
    await kernel.gate.invoke(tool, input, actor)
    return performance.now() - started
  }
  report('sandbox.init', { ms: await call('sandbox.init', { from: 'site' }), files: FILES })
  report('sandbox.snapshot (first)', { ms: await call('sandbox.snapshot') })
  const clean = []
  const dirty = []
  const status = []
  for (let round = 0; round < ROUNDS; round++) {
    clean.push(await call('sandbox.reset'))
    await call('scaffold.module', { name: `bench_${round}`, parts: ['routing', 'service'] })
    await call('sandbox.exec', {
      command: 'php',
      args: [
        '-r',
        'for ($i = 0; $i < 100; $i++) file_put_contents("web/core/modules/m$i/src/F$i.php", "changed");',
      ],
    })
    status.push(await call('sandbox.status'))
    dirty.push(await call('sandbox.reset'))
  }
  report('sandbox.reset, already clean (ms)', summarize(clean))
  report('sandbox.status, 100 edits + a module (ms)', summarize(status))
  report('sandbox.reset, 100 edits + a module (ms)', summarize(dirty))
  await kernel.close()
} finally {
  await rm(dir, { recursive: true, force: true })
}
