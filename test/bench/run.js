#!/usr/bin/env node
// `npm run bench`: runs every test/bench/*.bench.mjs in its own process, one after another, so
// one benchmark's heap and timers never skew the next. Each prints its own figures; none asserts.
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'

const dir = import.meta.dirname
const only = process.argv.slice(2)
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort()
let failed = 0
for (const bench of benches) {
  console.log(`\n=== ${bench} ===`)
  const result = spawnSync(process.execPath, ['--expose-gc', path.join(dir, bench)], { stdio: 'inherit' })
  if (result.status !== 0) {
    failed += 1
    console.log(`(${bench} exited with ${result.status})`)
  }
}
process.exit(failed > 0 ? 1 : 0)
