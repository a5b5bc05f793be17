import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, stat, truncate } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AuditLog } from '../../src/audit/log.js'
import { Redactor } from '../../src/audit/redact.js'
import { listSegments } from '../../src/audit/segments.js'
import { verifyAudit } from '../../src/audit/verify.js'
import { GroupCommit } from '../../src/store/group-commit.js'
import { readJournal } from '../../src/workflow/journal/reader.js'
import { JournalWriter } from '../../src/workflow/journal/writer.js'

// A caller that never gives the event loop a turn: every append it awaits resolves at once,
// so no timer ever fires. Before writers pushed back, such a loop buffered everything it
// appended until it ended (1M gate calls: 4.3 GB and nothing on disk).

let dir: string
const actor = { type: 'agent', id: 'busy' }

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-writers-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

function audit(options: Partial<ConstructorParameters<typeof AuditLog>[1]> = {}): AuditLog {
  return new AuditLog(dir, {
    fsync: 'batch',
    batchIntervalMs: 1000,
    segmentMaxBytes: 64 * 1024 * 1024,
    redactor: new Redactor(),
    ...options,
  })
}

// Read synchronously: looking must not give the event loop the turn the caller never gives it.
function linesOnDisk(): number {
  let n = 0
  for (const segment of readdirSync(dir).filter((f) => f.endsWith('.jsonl')))
    n += readFileSync(path.join(dir, segment), 'utf8').split('\n').filter(Boolean).length
  return n
}

describe('writers push back on a caller that keeps the event loop busy', () => {
  it('the audit log is on disk within two batches of what a tight loop of awaited records has appended', async () => {
    const log = audit()
    const behind: number[] = []
    for (let i = 1; i <= 6000; i++) {
      await log.record({ type: 'test.event', actor, subject: `s${i}`, data: { i } })
      if (i % 1000 === 0) behind.push(i - linesOnDisk())
    }
    await log.close()
    expect(Math.max(...behind)).toBeLessThanOrEqual(2 * 1024)
    expect(await verifyAudit(dir)).toMatchObject({ ok: true, records: 6000 })
  })

  it('a burst of records keeps every audit segment within its cap, and the chain verifies across them', async () => {
    const cap = 64 * 1024
    const log = audit({ segmentMaxBytes: cap })
    for (let i = 0; i < 3000; i++)
      await log.record({ type: 'test.event', actor, subject: `s${i}`, data: { i, pad: 'x'.repeat(100) } })
    await log.close()
    const segments = await listSegments(dir)
    expect(segments.length).toBeGreaterThan(5)
    for (const segment of segments)
      expect((await stat(path.join(dir, segment))).size).toBeLessThanOrEqual(cap)
    expect(await verifyAudit(dir)).toMatchObject({ ok: true, records: 3000 })
  })

  it('a record bigger than the segment cap gets a segment of its own, and the next record starts another', async () => {
    const cap = 4 * 1024
    const log = audit({ segmentMaxBytes: cap })
    await log.record({ type: 'test.event', actor, subject: 'small', data: {} })
    await log.record({ type: 'test.event', actor, subject: 'huge', data: { pad: 'y'.repeat(3 * cap) } })
    await log.record({ type: 'test.event', actor, subject: 'after', data: {} })
    await log.close()
    const segments = await listSegments(dir)
    const lines = await Promise.all(
      segments.map(async (s) => (await readFile(path.join(dir, s), 'utf8')).split('\n').filter(Boolean)),
    )
    expect(lines.map((l) => l.length)).toEqual([1, 1, 1])
    expect(lines[1]![0]).toContain('"subject":"huge"')
    expect(await verifyAudit(dir)).toMatchObject({ ok: true, records: 3 })
  })

  it('records cut from the segment a burst rolled onto are still caught before the next handler runs, naming the file', async () => {
    const log = audit({ segmentMaxBytes: 16 * 1024 })
    for (let i = 0; i < 500; i++)
      await log.record({ type: 'test.event', actor, subject: `s${i}`, data: { i } })
    await log.flush()
    const segments = await listSegments(dir)
    expect(segments.length).toBeGreaterThan(2)
    const last = path.join(dir, segments.at(-1)!)
    await truncate(last, (await stat(last)).size - 10)
    await expect(log.ready()).rejects.toMatchObject({
      code: 'integrity',
      message: expect.stringContaining(last),
    })
    await log.close()
  })

  it("a run journal appended in a tight loop is on disk within a batch of the run's progress", async () => {
    const file = path.join(dir, 'journal.jsonl')
    const journal = await JournalWriter.open(
      file,
      { validBytes: 0, lastSeq: 0 },
      { fsync: 'batch', batchIntervalMs: 1000, redactor: new Redactor(), now: () => Date.now() },
    )
    const behind: number[] = []
    for (let i = 1; i <= 20_000; i++) {
      await journal.append({ type: 'step.process', step: `s${i}`, attempt: 1, pid: i })
      if (i % 5000 === 0) {
        const text = readFileSync(file, 'utf8')
        behind.push(i - text.split('\n').filter(Boolean).length)
      }
    }
    await journal.close()
    expect(Math.max(...behind)).toBeLessThanOrEqual(2 * 4096)
    expect((await readJournal(file)).events).toHaveLength(20_000)
  })

  it('a caller that awaits its appends never has more than two batches waiting in memory', async () => {
    let written = 0
    let biggest = 0
    const commits = new GroupCommit<number>(
      async (items) => {
        biggest = Math.max(biggest, items.length)
        await new Promise((resolve) => setTimeout(resolve, 1))
        written += items.length
      },
      { policy: 'batch', intervalMs: 1000, maxBatch: 100 },
    )
    let most = 0
    for (let i = 1; i <= 5000; i++) {
      await commits.add(i)
      most = Math.max(most, i - written)
    }
    await commits.flush()
    expect(written).toBe(5000)
    expect(biggest).toBeLessThanOrEqual(100)
    expect(most).toBeLessThanOrEqual(200)
  })

  it('a journal line buffer is bounded by bytes too: big lines are written before a count would say so', async () => {
    const batches: number[] = []
    const commits = new GroupCommit<string>(
      async (items) => {
        batches.push(items.reduce((n, s) => n + s.length, 0))
        await new Promise((resolve) => setTimeout(resolve, 1))
      },
      { policy: 'batch', intervalMs: 1000, maxBatch: 4096, maxBytes: 64 * 1024, sizeOf: (s) => s.length },
    )
    for (let i = 0; i < 200; i++) await commits.add('z'.repeat(8 * 1024))
    await commits.flush()
    expect(batches.length).toBeGreaterThan(10)
    expect(Math.max(...batches)).toBeLessThanOrEqual(64 * 1024 + 8 * 1024)
  })

  it('flush() waits for what is being written and what waits behind it, and reports a failed write once', async () => {
    const written: number[] = []
    let fail = false
    const commits = new GroupCommit<number>(
      async (items) => {
        await new Promise((resolve) => setTimeout(resolve, 1))
        if (fail) throw new Error('disk gone')
        written.push(...items)
      },
      { policy: 'batch', intervalMs: 1000, maxBatch: 10 },
    )
    for (let i = 0; i < 35; i++) await commits.add(i)
    await commits.flush()
    expect(written).toEqual(Array.from({ length: 35 }, (_, i) => i))
    fail = true
    await commits.add(99)
    await expect(commits.flush()).rejects.toThrow('disk gone')
    fail = false
    await commits.add(100)
    await commits.flush()
    expect(written.at(-1)).toBe(100)
  })
})
