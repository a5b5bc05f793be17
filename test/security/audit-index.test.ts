import { execa } from 'execa'
import { appendFile, readFile, rm, stat, symlink, writeFile, lstat } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { queryAudit, readAuditRecords } from '../../src/audit/query.js'
import { indexPath, type SegmentIndex } from '../../src/audit/segment-index.js'
import { segmentName } from '../../src/audit/segments.js'
import { writeSealedLog } from '../helpers/audit-log.js'
import { json, REPO, runCli, tempProject, type TempProject } from '../helpers/project.js'

// A query skips the blocks of a segment whose index says no `at` in them can be in its window.
// A hostile agent with the project's file access edits that index (or the log under it), puts a
// link in its place, or appends behind the index's back; and clocks step back. Each must give
// the full read's answer, or be rebuilt, or, for an index edited to agree with itself, be
// reported by `audit verify` (exit 8, naming the index).

let project: TempProject
let audit: string
beforeEach(async () => {
  project = await tempProject()
  audit = path.join(project.home, 'audit')
})
afterEach(() => project.cleanup())

const T0 = Date.parse('2026-03-01T00:00:00Z')
const PAD = 'p'.repeat(800)

// Segments of `perSegment` ~1 KB records (so a block holds ~1,000), record `seq` at `at(seq)`,
// with HEAD.json as the log keeps it.
const writeLog = (count: number, perSegment: number, at: (seq: number) => number) =>
  writeSealedLog(audit, count, perSegment, at, PAD.length)

async function fullRead(since?: Date, until?: Date): Promise<number[]> {
  const out: number[] = []
  for await (const r of readAuditRecords(audit))
    if ((!since || r.at >= since.toISOString()) && (!until || r.at <= until.toISOString())) out.push(r.seq)
  return out
}

const cliSince = async (since: Date) => {
  const result = await runCli(project, ['audit', 'query', '--since', since.toISOString(), '--json'])
  expect(result.exitCode, result.stderr).toBe(0)
  return json<{ seq: number }[]>(result).map((r) => r.seq)
}

const readIndex = async (segment: number) =>
  JSON.parse(await readFile(indexPath(audit, segmentName(segment)), 'utf8')) as SegmentIndex

describe('audit query over a block index an agent can write', () => {
  it('an index edited to hide the records of one block is reported by audit verify (exit 8, naming the index)', async () => {
    await writeLog(6000, 3000, (seq) => T0 + seq * 1000)
    const since = new Date(T0 + 1500 * 1000)
    expect(await cliSince(since)).toEqual(await fullRead(since))
    const index = await readIndex(1)
    expect(index.blocks.length).toBeGreaterThan(2)
    // Every block from seq 1500 on claims to end before the window: a query trusts that.
    const hidden = '2026-01-01T00:00:00.000Z'
    const blocks = index.blocks.map((b) => ({ ...b, max_at: hidden, min_at: hidden }))
    await writeFile(
      indexPath(audit, segmentName(1)),
      JSON.stringify({ ...index, blocks, min_at: hidden, max_at: hidden }),
    )
    const verify = await runCli(project, ['audit', 'verify'])
    expect(verify.exitCode).toBe(8)
    expect(verify.stderr + verify.stdout).toContain(indexPath(audit, segmentName(1)))
    expect(verify.stderr + verify.stdout).toMatch(/does not match its segment/)
  })

  it('an index whose summary disagrees with its own blocks is not trusted: the answer is the full read', async () => {
    await writeLog(6000, 3000, (seq) => T0 + seq * 1000)
    const since = new Date(T0 + 1500 * 1000)
    await cliSince(since)
    const index = await readIndex(1)
    // Only the blocks edited (the lazy edit): the top-level max_at no longer agrees.
    const blocks = index.blocks.map((b) => ({ ...b, max_at: b.min_at }))
    await writeFile(indexPath(audit, segmentName(1)), JSON.stringify({ ...index, blocks }))
    expect(await cliSince(since)).toEqual(await fullRead(since))
    // ... and the index is rebuilt from the segment
    expect(await readIndex(1)).toEqual(index)
  })

  it('an index with block offsets moved off the line starts is not followed into the middle of a record', async () => {
    await writeLog(6000, 3000, (seq) => T0 + seq * 1000)
    const since = new Date(T0 + 2500 * 1000)
    await cliSince(since)
    const index = await readIndex(1)
    const blocks = index.blocks.map((b, i) => (i === 0 ? b : { ...b, offset: b.offset + 10 }))
    await writeFile(indexPath(audit, segmentName(1)), JSON.stringify({ ...index, blocks }))
    expect(await cliSince(since)).toEqual(await fullRead(since))
  })

  it('a segment rewritten under its index (same size, other records) makes the index stale, not trusted', async () => {
    await writeLog(4000, 2000, (seq) => T0 + seq * 1000)
    const since = new Date(T0 + 1900 * 1000)
    await cliSince(since)
    const before = await stat(path.join(audit, segmentName(1)))
    // The same log written again with the first segment's records an hour later: same sizes,
    // other times and hashes. The old index would hide them from a query an hour on.
    await writeLog(4000, 2000, (seq) => T0 + seq * 1000 + (seq <= 2000 ? 3_600_000 : 0))
    expect((await stat(path.join(audit, segmentName(1)))).size).toBe(before.size)
    const later = new Date(T0 + 2500 * 1000)
    const want = await fullRead(later)
    expect(want[0]).toBe(1)
    expect(await cliSince(later)).toEqual(want)
  })

  it('an index replaced by a link is not followed, neither read nor written through', async () => {
    await writeLog(6000, 3000, (seq) => T0 + seq * 1000)
    const since = new Date(T0 + 1500 * 1000)
    await cliSince(since)
    const index = await readIndex(1)
    const hidden = '2026-01-01T00:00:00.000Z'
    const forged = JSON.stringify({
      ...index,
      blocks: index.blocks.map((b) => ({ ...b, max_at: hidden, min_at: hidden })),
      min_at: hidden,
      max_at: hidden,
    })
    const elsewhere = path.join(project.dir, 'forged-index.json')
    await writeFile(elsewhere, forged)
    await rm(indexPath(audit, segmentName(1)))
    await symlink(elsewhere, indexPath(audit, segmentName(1)))
    expect(await cliSince(since)).toEqual(await fullRead(since))
    // the link's target is untouched, and the index is a file of its own again
    expect(await readFile(elsewhere, 'utf8')).toBe(forged)
    expect((await lstat(indexPath(audit, segmentName(1)))).isSymbolicLink()).toBe(false)
    expect(await runCli(project, ['audit', 'verify'])).toMatchObject({ exitCode: 0 })
  })

  it('records another process appends to the newest segment after its index was built are found, and the index extended', async () => {
    await writeLog(3000, 10_000, (seq) => T0 + seq * 1000)
    const since = new Date(T0 + 2990 * 1000)
    expect(await cliSince(since)).toHaveLength(11)
    const indexed = (await readIndex(1)).size
    // Another process appends through the real log (its records carry today's time).
    const writer = `
      const { AuditLog } = await import(${JSON.stringify(path.join(REPO, 'dist/audit/log.js'))})
      const { Redactor } = await import(${JSON.stringify(path.join(REPO, 'dist/audit/redact.js'))})
      const log = new AuditLog(${JSON.stringify(audit)}, { fsync: 'batch', batchIntervalMs: 5, segmentMaxBytes: 64 * 1024 * 1024, redactor: new Redactor() })
      for (let i = 0; i < 300; i++) await log.record({ type: 'test.event', actor: { type: 'agent', id: 'other' }, subject: 's' + i, data: { pad: ${JSON.stringify(PAD)} } })
      await log.close()
    `
    await execa('node', ['--input-type=module', '-e', writer])
    const found = await cliSince(since)
    expect(found).toHaveLength(311)
    expect(found).toEqual(await fullRead(since))
    const extended = await readIndex(1)
    expect(extended.size).toBeGreaterThan(indexed)
    expect(extended.last_seq).toBe(3300)
    expect(extended.blocks.length).toBeGreaterThan(3)
    expect(await runCli(project, ['audit', 'verify'])).toMatchObject({ exitCode: 0 })
    // A torn line past the index (a write cut short) is not indexed, and the query says so.
    const want = await fullRead(since)
    const last = want.at(-1)!
    await appendFile(path.join(audit, segmentName(1)), `{"seq":${last + 1},"at":"2026-`)
    const torn = await runCli(project, ['audit', 'query', '--since', since.toISOString(), '--json'])
    expect(json<{ seq: number }[]>(torn).map((r) => r.seq)).toEqual(want)
    expect(torn.stderr).toMatch(/unacknowledged partial record/)
    expect((await readIndex(1)).last_seq).toBe(last)
  })

  it('a newest segment cut back and written again under its index is re-indexed, not trusted', async () => {
    await writeLog(3000, 10_000, (seq) => T0 + seq * 1000)
    await cliSince(new Date(T0 + 2000 * 1000))
    // The log is replaced by a shorter one with later times: the index is longer than the segment.
    await writeLog(2500, 10_000, (seq) => T0 + seq * 1000 + 3_600_000)
    const since = new Date(T0 + 3000 * 1000)
    expect(await cliSince(since)).toEqual(await fullRead(since))
  })
})

describe('audit query --since/--until when the clock steps back', () => {
  it('inside a block and across block boundaries, every window gives the full read', async () => {
    // ~1 KB records, ~1,000 to a block: the clock steps back 30 minutes in the middle of the
    // second block of the sealed segment, 2 hours at the start of its fourth block, and an
    // hour in the newest segment's second block; records 2,400-2,449 are 3 hours ahead.
    const back = (seq: number) =>
      (seq >= 1500 ? 1_800_000 : 0) +
      (seq >= 3000 ? 7_200_000 : 0) +
      (seq >= 5500 ? 3_600_000 : 0) -
      (seq >= 2400 && seq < 2450 ? 10_800_000 : 0)
    await writeLog(6000, 4000, (seq) => T0 + seq * 1000 - back(seq))
    await queryAudit(audit, { since: new Date(T0) }) // builds the indexes
    expect((await readIndex(1)).blocks.length).toBeGreaterThanOrEqual(4)
    const checks: [Date | undefined, Date | undefined][] = []
    for (const a of [0, 400, 1200, 1499, 1800, 2300, 2800, 3500, 4500, 5200, 5900, 9000])
      checks.push([new Date(T0 + a * 1000), undefined], [undefined, new Date(T0 + a * 1000)])
    checks.push([new Date(T0 + 1000 * 1000), new Date(T0 + 1400 * 1000)])
    checks.push([new Date(T0 + 4000 * 1000), new Date(T0 + 4200 * 1000)])
    for (const [since, until] of checks) {
      const got = (await queryAudit(audit, { ...(since ? { since } : {}), ...(until ? { until } : {}) })).map(
        (r) => r.seq,
      )
      expect(got, `since ${since?.toISOString()} until ${until?.toISOString()}`).toEqual(
        await fullRead(since, until),
      )
    }
    const since = new Date(T0 + 1800 * 1000)
    expect(await cliSince(since)).toEqual(await fullRead(since))
  })
})
