import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { queryAudit, readAuditRecords } from '../../../src/audit/query.js'
import { writeSealedLog } from '../../helpers/audit-log.js'

/**
 * `audit query --since` over segments whose records are not in time order: writers take the
 * time before the log's lock, and clocks step back. Whatever the order on disk, the answer must
 * be the one a full read gives; a faster way into a segment (a binary search on byte offsets)
 * must pass these first. A sealed segment's index holds only its min and max `at`, which cannot
 * prove that no line before a search point holds a later time (the last case below).
 */

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-audit-since-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

const T0 = Date.parse('2026-03-01T00:00:00Z')

// Segments of `perSegment` records each (≈330 bytes a record, so 4,000 make 1.3 MB), the time of
// record `seq` given by `at`.
const writeLog = (count: number, perSegment: number, at: (seq: number) => number) =>
  writeSealedLog(dir, count, perSegment, at)

async function fullRead(since: Date): Promise<number[]> {
  const out: number[] = []
  for await (const r of readAuditRecords(dir)) if (r.at >= since.toISOString()) out.push(r.seq)
  return out
}

const seqs = async (since: Date, extra = {}) => (await queryAudit(dir, { since, ...extra })).map((r) => r.seq)

describe('audit query --since', () => {
  it('returns what a full read returns, for a window at the start, middle, end and outside the log', async () => {
    await writeLog(12_000, 5_000, (seq) => T0 + seq * 1000)
    for (const offset of [-10_000, 1, 2_500, 7_777, 11_990, 12_000, 13_000]) {
      const since = new Date(T0 + offset * 1000)
      expect(await seqs(since), `since record ${offset}`).toEqual(await fullRead(since))
    }
    const since = new Date(T0 + 11_000 * 1000)
    expect(await seqs(since, { subject: 'drush.configImport' })).toEqual(
      (await fullRead(since)).filter((s) => s % 97 === 0),
    )
  })

  it('finds records written out of order within the skew (a writer that waited for the lock)', async () => {
    // Every tenth record took its time up to 4 minutes before it was written.
    await writeLog(12_000, 12_000, (seq) => T0 + seq * 1000 - (seq % 10 === 0 ? 240_000 : 0))
    for (const offset of [3_000, 9_000, 11_900]) {
      const since = new Date(T0 + offset * 1000)
      expect(await seqs(since)).toEqual(await fullRead(since))
    }
  })

  it('finds every record when the clock stepped back in a sealed segment or in the newest', async () => {
    // The clock stepped back an hour at record 11,000 of the newest segment, and for records
    // 4,000-5,999 of the sealed one before it.
    const back = (seq: number) =>
      (seq >= 11_000 ? 3_600_000 : 0) + (seq >= 4_000 && seq < 6_000 ? 3_600_000 : 0)
    await writeLog(12_000, 6_000, (seq) => T0 + seq * 1000 - back(seq))
    for (const offset of [3_500, 3_990, 5_000, 9_500, 10_000, 10_990]) {
      const since = new Date(T0 + offset * 1000)
      expect(await seqs(since)).toEqual(await fullRead(since))
    }
  })

  it('finds records a wrong clock put ahead early in a sealed segment (its index knows only min and max)', async () => {
    // In the first (sealed) segment, records 100-199 carry a time two hours ahead: a clock
    // that was wrong and then corrected. Its index knows that latest time.
    const ahead = (seq: number) => seq >= 100 && seq < 200
    await writeLog(10_000, 5_000, (seq) => T0 + seq * 1000 + (ahead(seq) ? 7_200_000 : 0))
    const since = new Date(T0 + 4_500 * 1000)
    const want = await fullRead(since)
    expect(want.slice(0, 100)).toEqual(Array.from({ length: 100 }, (_, i) => 100 + i))
    expect(await seqs(since)).toEqual(want)
  })
})
