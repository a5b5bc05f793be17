import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { DriftcoreError } from '../../errors/driftcore-error.js'
import { JsonDocument } from '../../store/documents.js'
import type { JobEnvelope } from '../job/envelope.js'

export interface DlqEntry {
  id: string
  run_id: string
  step: string
  topic: string
  /** `no_pool_mapping`, or the error code of the last failed attempt. */
  error_code: string
  error_message: string
  /** The step's state when the job was given up on (queued: never delivered). */
  last_state: string
  attempts: number
  job: JobEnvelope
  created_at: string
}

interface DlqDoc {
  entries: Record<string, DlqEntry>
}

/** Jobs that could not be delivered or failed every attempt (state/dlq.json). */
export class DeadLetters {
  private readonly doc: JsonDocument<DlqDoc>

  constructor(stateDir: string) {
    this.doc = new JsonDocument(path.join(stateDir, 'dlq.json'), () => ({ entries: {} }))
  }

  async add(entry: Omit<DlqEntry, 'id' | 'created_at'>): Promise<DlqEntry> {
    const full: DlqEntry = {
      id: `dlq_${randomBytes(6).toString('hex')}`,
      ...entry,
      created_at: new Date().toISOString(),
    }
    await this.doc.update((doc) => {
      doc.entries[full.id] = full
    })
    return full
  }

  async list(): Promise<DlqEntry[]> {
    return Object.values((await this.doc.read()).entries).sort((a, b) =>
      a.created_at.localeCompare(b.created_at),
    )
  }

  async get(id: string): Promise<DlqEntry> {
    const entry = (await this.doc.read()).entries[id]
    if (!entry) throw notFound(id)
    return entry
  }

  async remove(id: string): Promise<DlqEntry> {
    return this.doc.update((doc) => {
      const entry = doc.entries[id]
      if (!entry) throw notFound(id)
      delete doc.entries[id]
      return entry
    })
  }
}

function notFound(id: string): DriftcoreError {
  return new DriftcoreError('not_found', `no dead-lettered job ${id}`, {
    hint: 'list them with: driftcore dlq list',
  })
}
