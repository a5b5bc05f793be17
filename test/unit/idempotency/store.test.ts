import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { IdempotencyStore, keyHash } from '../../../src/idempotency/store.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'idem-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

describe('the idempotency store', () => {
  it('two stores writing and looking up at once each find every result the other stored (lookups no longer wait for appends)', async () => {
    const a = new IdempotencyStore(dir, 60_000, { fsync: 'batch', batchIntervalMs: 1 })
    const b = new IdempotencyStore(dir, 60_000, { fsync: 'batch', batchIntervalMs: 1 })
    await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const [mine, other] = i % 2 ? [a, b] : [b, a]
        await mine.store(`k${i}`, 't.x', 'h', { i })
        await other.lookup(`k${i - 1}`, 't.x', 'h')
      }),
    )
    await Promise.all([a.flush(), b.flush()])
    for (let i = 0; i < 300; i++) {
      expect((await a.lookup(`k${i}`, 't.x', 'h'))?.result).toEqual({ i })
      expect((await b.lookup(`k${i}`, 't.x', 'h'))?.result).toEqual({ i })
    }
  })

  it('returns a result stored by another store (another process) on the same folder', async () => {
    const a = new IdempotencyStore(dir, 60_000, { fsync: 'batch', batchIntervalMs: 1 })
    const b = new IdempotencyStore(dir, 60_000)
    expect(await b.lookup('k', 't.x', 'h')).toBeUndefined()
    await a.store('k', 't.x', 'h', { out: 1 })
    await a.flush()
    expect((await b.lookup('k', 't.x', 'h'))?.result).toEqual({ out: 1 })
    await expect(b.lookup('k', 't.y', 'h')).rejects.toMatchObject({ code: 'conflict' })
    expect((await readFile(path.join(dir, 'idempotency.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(1)
  })

  it('forgets results older than its window and still reads the JSON document older versions wrote', async () => {
    await writeFile(
      path.join(dir, 'idempotency.json'),
      JSON.stringify({
        entries: { old: { tool: 't.x', input_hash: 'h', result: 2, at: new Date().toISOString() } },
      }),
    )
    const store = new IdempotencyStore(dir, 60_000)
    expect((await store.lookup('old', 't.x', 'h'))?.result).toBe(2)
    const short = new IdempotencyStore(dir, 1)
    await short.store('k', 't.x', 'h', 3)
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(await short.lookup('k', 't.x', 'h')).toBeUndefined()
  })

  it('finds a written result again from the file, also one bigger than a read chunk, with its conflict check', async () => {
    const store = new IdempotencyStore(dir, 60_000, { fsync: 'batch', batchIntervalMs: 1 })
    const big = { text: 'x'.repeat(20_000) }
    await store.store('small', 't.x', 'h1', { n: 1 })
    await store.store('big', 't.x', 'h2', big)
    await store.store('after', 't.x', 'h3', { n: 3 })
    await store.flush()
    expect((await store.lookup('small', 't.x', 'h1'))?.result).toEqual({ n: 1 })
    expect((await store.lookup('big', 't.x', 'h2'))?.result).toEqual(big)
    expect((await store.lookup('after', 't.x', 'h3'))?.result).toEqual({ n: 3 })
    await expect(store.lookup('big', 't.x', 'other')).rejects.toMatchObject({ code: 'conflict' })
  })

  it("a file rewritten under a store (another process compacted it) never answers a key with another key's result", async () => {
    const store = new IdempotencyStore(dir, 60_000, { fsync: 'batch', batchIntervalMs: 1 })
    for (const k of ['a', 'b', 'c']) await store.store(k, 't.x', 'h', { k })
    await store.flush()
    expect((await store.lookup('c', 't.x', 'h'))?.result).toEqual({ k: 'c' })
    // Compaction by another process: the same entries, in another order, at other offsets
    // (the first one expired and dropped), written whole.
    const file = path.join(dir, 'idempotency.jsonl')
    const lines = (await readFile(file, 'utf8')).trim().split('\n')
    await writeFile(file, [lines[2], lines[1]].join('\n') + '\n')
    expect((await store.lookup('b', 't.x', 'h'))?.result).toEqual({ k: 'b' })
    expect((await store.lookup('c', 't.x', 'h'))?.result).toEqual({ k: 'c' })
    expect(await store.lookup('a', 't.x', 'h')).toBeUndefined()
    // and what it stores after is found where it lands
    await store.store('d', 't.x', 'h', { k: 'd' })
    await store.flush()
    expect((await store.lookup('d', 't.x', 'h'))?.result).toEqual({ k: 'd' })
  })

  it('keys whose hashes collide in the index each get their own result, and a third key none', async () => {
    // The index keeps a hash per key, not the key: find two keys with one hash (birthday bound,
    // ~2 pairs among 100k keys for 31 bits), as a hostile caller with the seed could.
    const seen = new Map<number, string>()
    let pair: [string, string] | undefined
    for (let i = 0; !pair; i++) {
      const key = `run_x/s${i}/1`
      const other = seen.get(keyHash(key))
      if (other !== undefined) pair = [other, key]
      else seen.set(keyHash(key), key)
      if (i > 2_000_000) throw new Error('no collision found')
    }
    const [first, second] = pair
    const store = new IdempotencyStore(dir, 60_000, { fsync: 'batch', batchIntervalMs: 1 })
    await store.store(first, 't.x', 'h1', { key: first })
    await store.store(second, 't.x', 'h2', { key: second })
    await store.flush()
    expect((await store.lookup(first, 't.x', 'h1'))?.result).toEqual({ key: first })
    expect((await store.lookup(second, 't.x', 'h2'))?.result).toEqual({ key: second })
    await expect(store.lookup(first, 't.x', 'h2')).rejects.toMatchObject({ code: 'conflict' })
    // Another store reads both lines back from the file into its own index.
    const other = new IdempotencyStore(dir, 60_000)
    expect((await other.lookup(second, 't.x', 'h2'))?.result).toEqual({ key: second })
    expect((await other.lookup(first, 't.x', 'h1'))?.result).toEqual({ key: first })
    expect(await other.lookup('run_x/none/1', 't.x', 'h1')).toBeUndefined()
  })

  it('a key stored again once its window passed answers with its newest result', async () => {
    const store = new IdempotencyStore(dir, 500, { fsync: 'batch', batchIntervalMs: 1 })
    await store.store('k', 't.x', 'old', 1)
    await store.flush()
    await new Promise((resolve) => setTimeout(resolve, 600))
    expect(await store.lookup('k', 't.x', 'new')).toBeUndefined()
    await store.store('k', 't.x', 'new', 2)
    await store.flush()
    expect((await store.lookup('k', 't.x', 'new'))?.result).toBe(2)
    expect((await new IdempotencyStore(dir, 500).lookup('k', 't.x', 'new'))?.result).toBe(2)
  })
})
