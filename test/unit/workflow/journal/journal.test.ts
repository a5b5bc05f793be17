import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Redactor } from '../../../../src/audit/redact.js'
import { readJournal } from '../../../../src/workflow/journal/reader.js'
import { replay } from '../../../../src/workflow/journal/replay.js'
import { JournalWriter } from '../../../../src/workflow/journal/writer.js'

let dir: string
let file: string
const actor = { type: 'human', id: 't' }

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'journal-'))
  file = path.join(dir, 'journal.jsonl')
})
afterEach(() => rm(dir, { recursive: true, force: true }))

async function writeSome(fsync: 'always' | 'batch' | 'off' = 'batch') {
  const writer = await JournalWriter.open(
    file,
    { validBytes: 0, lastSeq: 0 },
    {
      fsync,
      batchIntervalMs: 5,
      redactor: new Redactor(),
      now: () => Date.parse('2026-01-01T00:00:00Z'),
    },
  )
  await writer.append({
    type: 'run.created',
    run_id: 'run_x',
    workflow_name: 'w',
    workflow_sha256: 'h',
    input: {},
    actor,
    trace_id: 't',
  })
  await writer.append({ type: 'step.started', step: 'a', attempt: 1, trace_id: 't1' })
  await writer.append({
    type: 'step.succeeded',
    step: 'a',
    attempt: 1,
    output: { token: 'ghp_abcdefghijklmnopqrstuvwxyz0123' },
  })
  await writer.close()
}

describe('the run journal', () => {
  it('replays to the state the transitions describe, with secrets redacted on disk', async () => {
    await writeSome('always')
    const { events, torn } = await readJournal(file)
    expect(torn).toBe(false)
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3])
    const state = replay(events, ['a', 'b'])
    expect(state.steps.a).toMatchObject({ status: 'succeeded', attempt: 1, output: { token: '[REDACTED]' } })
    expect(state.steps.b!.status).toBe('pending')
    expect(await readFile(file, 'utf8')).not.toContain('ghp_')
  })

  it('leaves out a torn last line and appends after the last complete one', async () => {
    await writeSome()
    await appendFile(file, '{"seq":4,"at":"2026-01-01T0')
    const read = await readJournal(file)
    expect(read.torn).toBe(true)
    expect(read.events).toHaveLength(3)
    const writer = await JournalWriter.open(
      file,
      { validBytes: read.validBytes, lastSeq: 3 },
      {
        fsync: 'off',
        batchIntervalMs: 5,
        redactor: new Redactor(),
        now: Date.now,
      },
    )
    await writer.append({ type: 'step.started', step: 'b', attempt: 1, trace_id: 't2' })
    await writer.close()
    expect((await readJournal(file)).events.map((e) => e.type)).toEqual([
      'run.created',
      'step.started',
      'step.succeeded',
      'step.started',
    ])
  })

  it('refuses a changed, a missing or an unreadable line in the middle, naming it', async () => {
    await writeSome()
    const lines = (await readFile(file, 'utf8')).split('\n')
    await writeFile(file, [lines[0], lines[1]!.replace('"a"', '"b"'), lines[2], ''].join('\n'))
    await expect(readJournal(file)).rejects.toMatchObject({
      code: 'integrity',
      message: `${file}:2: corrupted journal line: its content does not match its hash (changed after it was written)`,
    })
    await writeFile(file, [lines[0], lines[2], ''].join('\n'))
    await expect(readJournal(file)).rejects.toThrow(
      `${file}:2: corrupted journal line: seq 3 where 2 was expected`,
    )
    await writeFile(file, [lines[0], 'garbage', lines[2], ''].join('\n'))
    await expect(readJournal(file)).rejects.toThrow(
      `${file}:2: corrupted journal line: not a sealed journal event`,
    )
  })
})
