import { readFile } from 'node:fs/promises'
import { DriftcoreError } from '../../errors/driftcore-error.js'
import type { JournalEvent } from './events.js'
import { openLine } from './line.js'

export interface JournalRead {
  events: JournalEvent[]
  /** Bytes up to the end of the last complete line: where the next append goes. */
  validBytes: number
  /** A last line without its newline: a write cut short by a crash, never acknowledged. */
  torn: boolean
}

/**
 * Reads a run journal. A torn last line is left out (the writer cuts it before appending); a
 * bad line anywhere else is corruption, refused with its line number, never skipped: dropping
 * it would silently change what the run did.
 */
export async function readJournal(file: string): Promise<JournalRead> {
  let buffer: Buffer
  try {
    buffer = await readFile(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new DriftcoreError('not_found', `no journal at ${file}`, { cause: error })
    throw error
  }
  const lastNewline = buffer.lastIndexOf(0x0a)
  const validBytes = lastNewline + 1
  const text = buffer.subarray(0, validBytes).toString('utf8')
  const events: JournalEvent[] = []
  let start = 0
  for (let line = 1; start < text.length; line++) {
    const end = text.indexOf('\n', start)
    const raw = text.slice(start, end)
    start = end + 1
    const opened = openLine(raw)
    if ('problem' in opened) throw corrupted(file, line, opened.problem)
    const event = opened.event as unknown as JournalEvent
    if (event.seq !== line) throw corrupted(file, line, `seq ${String(event.seq)} where ${line} was expected`)
    events.push(event)
  }
  return { events, validBytes, torn: validBytes < buffer.length }
}

function corrupted(file: string, line: number, why: string): DriftcoreError {
  return new DriftcoreError('integrity', `${file}:${line}: corrupted journal line: ${why}`, {
    hint: 'the run cannot be resumed safely; restore the journal from a backup, or start a new run',
    details: { file, line },
  })
}
