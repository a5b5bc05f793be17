// What containment costs each process: the same program started through the launcher
// uncontained (launcher.containment: off), in a PID namespace of its own (the default), under
// network: none (adds an empty network namespace and the socket filter), and in the sandbox
// profile (read-only root, writable site). Uses the built code (npm run build first).
// Figures only; nothing asserts. BENCH_ROUNDS sets the runs per case (default 40).
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { Redactor } from '../../dist/audit/redact.js'
import { bwrapAvailable } from '../../dist/launcher/isolation.js'
import { Launcher } from '../../dist/launcher/launch.js'
import { createSecretResolver } from '../../dist/secrets/resolve.js'
import { report, summarize } from './stats.mjs'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40)
const dir = mkdtempSync(path.join(os.tmpdir(), 'driftcore-bench-launcher-'))

function launcher(containment) {
  const redactor = new Redactor()
  return new Launcher({
    root: dir,
    allowlist: ['true'],
    envPassthrough: [],
    defaultTimeoutMs: 30_000,
    killGraceMs: 500,
    maxOutputBytes: 1 << 20,
    maxLogBytes: 1 << 20,
    isolation: 'auto',
    containment,
    redactor,
    secrets: createSecretResolver({ root: dir, env: process.env, redactor }),
    storeLog: async () => 'artifact://none',
  })
}

// The cases take turns, round by round, so that warm-up and a busy neighbour weigh on each alike.
async function sample(cases) {
  const ms = cases.map(() => [])
  for (const [l, spec] of cases) await l.run({ file: 'true', ...spec }) // warm: probes, the execa import
  for (let i = 0; i < ROUNDS; i++) {
    for (const [c, [l, spec]] of cases.entries()) {
      const started = performance.now()
      const result = await l.run({ file: 'true', ...spec })
      ms[c].push(performance.now() - started)
      if (result.exitCode !== 0) throw new Error(`true exited with ${result.exitCode}: ${result.stderr}`)
    }
  }
  return ms.map(summarize)
}

try {
  if (!bwrapAvailable()) {
    console.log('bubblewrap is not usable here: only the uncontained figure is measured')
    report('launch `true`, uncontained (ms)', (await sample([[launcher('off'), {}]]))[0])
  } else {
    const required = launcher('required')
    const [off, contained, noNetwork, profile] = await sample([
      [launcher('off'), {}],
      [required, {}],
      [required, { isolation: { network: 'none' } }],
      [required, { cwd: dir, isolation: { network: 'none', readOnlyExcept: [dir] } }],
    ])
    report('launch `true`, uncontained (ms)', off)
    report('launch `true`, PID namespace, the default (ms)', contained)
    report('launch `true`, network: none (ms)', noNetwork)
    report('launch `true`, sandbox profile (ms)', profile)
    report('bwrap start-up per process, p50 (ms)', {
      contained: contained.p50 - off.p50,
      network_none: noNetwork.p50 - off.p50,
      sandbox_profile: profile.p50 - off.p50,
    })
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
