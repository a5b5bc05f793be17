import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO } from '../../helpers/project.js'

// The flag is process-wide, so each case runs in a node of its own; V8 prints the factor it
// grows the old generation's limit by at each full collection under --trace-gc-verbose.
function limitFactors(nodeFlags: string[]): string[] {
  const heap = path.join(REPO, 'dist/workflow/engine/heap.js')
  const script = `
    const { keepHeapNearLive } = await import(${JSON.stringify(heap)})
    keepHeapNearLive()
    const kept = []
    for (let i = 0; i < 200000; i++) kept.push({ i, s: 'x' + i })
    globalThis.gc()
  `
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', '--trace-gc-verbose', ...nodeFlags, '--input-type=module', '-e', script],
    { encoding: 'utf8' },
  )
  expect(r.status, r.stderr).toBe(0)
  return [...r.stdout.matchAll(/\[HeapController\] Limit: .*\(([\d.]+)\)/g)].map((m) => m[1]!)
}

describe('a run keeps the heap near what it holds', () => {
  it('has V8 grow the old generation by 20% after each full collection, not its own 2–4×', () => {
    const factors = limitFactors([])
    expect(factors.length).toBeGreaterThan(0)
    expect(new Set(factors)).toEqual(new Set(['1.2']))
  })

  it('leaves a --heap-growing-percent given to node as it is', () => {
    expect(new Set(limitFactors(['--heap-growing-percent=50']))).toEqual(new Set(['1.5']))
  })
})
