import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { execa } from 'execa'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { JsonDocument } from '../../src/store/documents.js'
import { withFileLock } from '../../src/store/file-lock.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-lock-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

const HOLD = path.join(import.meta.dirname, 'helpers/hold-lock.mjs')

// A process takes the lock, then is killed with -9 while holding it.
async function killedWhileHolding(target: string): Promise<void> {
  const child = execa('node', [HOLD, target], { reject: false })
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('held')) resolve()
    })
    void child.then((r) => reject(new Error(`the holder exited early: ${String(r.stderr)}`)))
  })
  child.kill('SIGKILL')
  await child
}

// The rule for others is "stale after 10 s without refresh": a 2 s wait only succeeds when
// the dead owner is recognised as dead.
describe('a lock left by a process killed with -9', () => {
  it('is taken over at once by the next process on the same host (its pid and start time are gone)', async () => {
    const target = path.join(dir, 'HEAD.json')
    await killedWhileHolding(target)
    expect(existsSync(`${target}.lock`)).toBe(true)
    await expect(withFileLock(target, async () => 'mine', { waitMs: 2_000 })).resolves.toBe('mine')
    expect(await readdir(dir)).toEqual([])
  })

  it('held by a live owner, or by one on another host, is still waited for (and times out as a conflict)', async () => {
    const target = path.join(dir, 'doc.json')
    await mkdir(`${target}.lock`)
    await writeFile(`${target}.lock.owner`, JSON.stringify({ pid: 1, host: 'another-host' }))
    await expect(withFileLock(target, async () => 'mine', { waitMs: 300 })).rejects.toMatchObject({
      code: 'conflict',
    })
    await writeFile(`${target}.lock.owner`, JSON.stringify({ pid: process.pid, host: os.hostname() }))
    await expect(withFileLock(target, async () => 'mine', { waitMs: 300 })).rejects.toMatchObject({
      code: 'conflict',
    })
  })

  it('an owner file naming a reused pid (another start time) does not keep a dead lock alive', async () => {
    const target = path.join(dir, 'doc.json')
    await mkdir(`${target}.lock`)
    await writeFile(
      `${target}.lock.owner`,
      JSON.stringify({ pid: process.pid, host: os.hostname(), start_time: '1' }),
    )
    await expect(withFileLock(target, async () => 'mine', { waitMs: 2_000 })).resolves.toBe('mine')
  })

  it('the temporary file a writer killed before its rename left is removed by the next update', async () => {
    const state = path.join(dir, 'state')
    await mkdir(state)
    await writeFile(path.join(state, '.runs.json.0123456789ab.tmp'), '{"half')
    await writeFile(path.join(state, '.other.json.0123456789ab.tmp'), 'not ours')
    const doc = new JsonDocument(path.join(state, 'runs.json'), () => ({ n: 0 }))
    await doc.update((d) => void (d.n = 1))
    expect((await readdir(state)).sort()).toEqual(['.other.json.0123456789ab.tmp', 'runs.json'])
  })
})
