import path from 'node:path'
import type { Actor } from '../../audit/record.js'
import { JsonDocument } from '../../store/documents.js'
import type { RunState, RunStatus } from '../journal/state.js'

export interface RunSummary {
  run_id: string
  workflow: string
  status: RunStatus
  actor: Actor
  created_at: string
  updated_at: string
  idempotency_key?: string
  input_hash?: string
  summary?: string
}

interface RunIndexDoc {
  runs: Record<string, RunSummary>
  keys: Record<string, string>
}

/**
 * The list of runs (state/runs.json), for `workflow list` and idempotency keys. It is updated
 * when a run is created, suspended or finished; the journal stays the truth about a run.
 */
export class RunIndex {
  private readonly doc: JsonDocument<RunIndexDoc>

  constructor(stateDir: string) {
    this.doc = new JsonDocument(path.join(stateDir, 'runs.json'), () => ({ runs: {}, keys: {} }))
  }

  async list(): Promise<RunSummary[]> {
    return Object.values((await this.doc.read()).runs).sort((a, b) =>
      b.created_at.localeCompare(a.created_at),
    )
  }

  /** Registers a run under an idempotency key, or returns the run already registered under it. */
  async claim(summary: RunSummary): Promise<RunSummary | undefined> {
    return this.doc.update((doc) => {
      const key = summary.idempotency_key
      const existing = key ? doc.keys[key] : undefined
      if (existing && doc.runs[existing]) return doc.runs[existing]
      doc.runs[summary.run_id] = summary
      if (key) doc.keys[key] = summary.run_id
      return undefined
    })
  }

  async update(state: RunState, workflow: string): Promise<void> {
    await this.doc.update((doc) => {
      const prior = doc.runs[state.run_id]
      doc.runs[state.run_id] = {
        ...prior,
        run_id: state.run_id,
        workflow,
        status: state.status,
        actor: state.actor,
        created_at: state.created_at,
        updated_at: state.updated_at,
        ...(state.idempotency_key ? { idempotency_key: state.idempotency_key } : {}),
        ...(state.summary ? { summary: state.summary } : {}),
      }
    })
  }

  /** Drops runs from the list, with the idempotency keys that named them; returns what it dropped. */
  async remove(runIds: readonly string[]): Promise<RunSummary[]> {
    return this.doc.update((doc) => {
      const removed: RunSummary[] = []
      for (const id of runIds) {
        const run = doc.runs[id]
        if (!run) continue
        removed.push(run)
        delete doc.runs[id]
      }
      const gone = new Set(removed.map((r) => r.run_id))
      for (const [key, id] of Object.entries(doc.keys)) if (gone.has(id)) delete doc.keys[key]
      return removed
    })
  }
}
