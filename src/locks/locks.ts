import path from 'node:path'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { JsonDocument } from '../store/documents.js'

export type LockMode = 'shared' | 'exclusive'

/** What a tool asks to hold while it runs, e.g. `{key: 'site:default', mode: 'exclusive'}`. */
export interface LockRequest {
  key: string
  mode: LockMode
  ttlMs?: number
}

export interface LockHolder {
  owner: string
  mode: LockMode
  acquired_at: string
  expires_at: string
}

interface LocksDoc {
  locks: Record<string, LockHolder[]>
}

/**
 * Named shared/exclusive locks with an owner and a TTL, across processes. Holders past their
 * TTL no longer count, so a crashed owner blocks others for at most its TTL.
 */
export class Locks {
  private readonly doc: JsonDocument<LocksDoc>

  constructor(
    stateDir: string,
    private readonly defaultTtlMs: number,
  ) {
    this.doc = new JsonDocument(path.join(stateDir, 'locks.json'), () => ({ locks: {} }))
  }

  /** Takes all requested locks or none; names the holder on conflict. */
  async acquire(requests: readonly LockRequest[], owner: string): Promise<void> {
    if (requests.length === 0) return
    await this.doc.update((doc) => {
      const now = Date.now()
      prune(doc, now)
      for (const request of requests) {
        const others = (doc.locks[request.key] ?? []).filter((h) => h.owner !== owner)
        const blocking = others.find((h) => request.mode === 'exclusive' || h.mode === 'exclusive')
        if (blocking) {
          throw new DriftcoreError(
            'conflict',
            `lock "${request.key}" is held (${blocking.mode}) by ${blocking.owner} until ${blocking.expires_at}`,
            {
              hint: 'wait for it to finish, or release it with `driftcore locks release KEY --owner OWNER` if its owner is gone',
              details: { key: request.key, holder: blocking },
            },
          )
        }
      }
      for (const request of requests) {
        const holders = (doc.locks[request.key] ?? []).filter((h) => h.owner !== owner)
        holders.push({
          owner,
          mode: request.mode,
          acquired_at: new Date(now).toISOString(),
          expires_at: new Date(now + (request.ttlMs ?? this.defaultTtlMs)).toISOString(),
        })
        doc.locks[request.key] = holders
      }
    })
  }

  /** Releases what `owner` holds (of `keys`, or all); returns the keys it held. */
  async release(owner: string, keys?: readonly string[]): Promise<string[]> {
    return this.doc.update((doc) => {
      const released: string[] = []
      for (const [key, holders] of Object.entries(doc.locks)) {
        if (keys && !keys.includes(key)) continue
        const kept = holders.filter((h) => h.owner !== owner)
        if (kept.length < holders.length) released.push(key)
        if (kept.length > 0) doc.locks[key] = kept
        else delete doc.locks[key]
      }
      return released
    })
  }

  async list(): Promise<{ key: string; holders: LockHolder[] }[]> {
    const doc = await this.doc.read()
    prune(doc, Date.now())
    return Object.entries(doc.locks).map(([key, holders]) => ({ key, holders }))
  }
}

function prune(doc: LocksDoc, now: number): void {
  for (const [key, holders] of Object.entries(doc.locks)) {
    const live = holders.filter((h) => Date.parse(h.expires_at) > now)
    if (live.length > 0) doc.locks[key] = live
    else delete doc.locks[key]
  }
}
