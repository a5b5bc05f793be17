import path from 'node:path'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { JsonDocument } from '../store/documents.js'

export interface IdempotentEntry<R = unknown> {
  tool: string
  input_hash: string
  result: R
  at: string
}

interface IdempotencyDoc {
  entries: Record<string, IdempotentEntry>
}

/**
 * Remembers the result of a call made with an idempotency key, so a retried call returns the
 * first result instead of acting twice. A key reused for a different call is a conflict.
 */
export class IdempotencyStore {
  private readonly doc: JsonDocument<IdempotencyDoc>

  constructor(
    stateDir: string,
    private readonly windowMs: number,
  ) {
    this.doc = new JsonDocument(path.join(stateDir, 'idempotency.json'), () => ({ entries: {} }))
  }

  async lookup<R>(key: string, tool: string, inputHash: string): Promise<IdempotentEntry<R> | undefined> {
    const entry = (await this.doc.read()).entries[key]
    if (!entry || Date.now() - Date.parse(entry.at) > this.windowMs) return undefined
    if (entry.tool !== tool || entry.input_hash !== inputHash) {
      throw new DriftcoreError(
        'conflict',
        `idempotency key "${key}" was already used for a different call (${entry.tool})`,
        {
          hint: 'use a new key for a different call',
        },
      )
    }
    return entry as IdempotentEntry<R>
  }

  async store(key: string, tool: string, inputHash: string, result: unknown): Promise<void> {
    await this.doc.update((doc) => {
      const now = Date.now()
      for (const [k, e] of Object.entries(doc.entries)) {
        if (now - Date.parse(e.at) > this.windowMs) delete doc.entries[k]
      }
      doc.entries[key] = { tool, input_hash: inputHash, result, at: new Date(now).toISOString() }
    })
  }
}
