import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { Locks } from '../../../src/locks/locks.js'

describe('locks', () => {
  it('shares shared locks, refuses an exclusive one held by another owner, and frees them on release or expiry', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-locks-'))
    try {
      const locks = new Locks(dir, 60_000)
      await locks.acquire([{ key: 'site', mode: 'shared' }], 'a')
      await locks.acquire([{ key: 'site', mode: 'shared' }], 'b')
      await expect(locks.acquire([{ key: 'site', mode: 'exclusive' }], 'c')).rejects.toMatchObject({
        code: 'conflict',
        message: expect.stringMatching(/lock "site" is held \(shared\) by a until/),
      })
      await locks.release('a')
      await locks.release('b')
      await locks.acquire([{ key: 'site', mode: 'exclusive' }], 'c')
      await expect(locks.acquire([{ key: 'site', mode: 'shared' }], 'd')).rejects.toMatchObject({
        code: 'conflict',
      })
      // All or nothing: a refused request takes none of its locks.
      await expect(
        locks.acquire(
          [
            { key: 'other', mode: 'exclusive' },
            { key: 'site', mode: 'exclusive' },
          ],
          'e',
        ),
      ).rejects.toMatchObject({ code: 'conflict' })
      expect((await locks.list()).map((l) => l.key)).toEqual(['site'])
      await locks.acquire([{ key: 'short', mode: 'exclusive', ttlMs: 1 }], 'f')
      await new Promise((r) => setTimeout(r, 5))
      await locks.acquire([{ key: 'short', mode: 'exclusive' }], 'g')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
