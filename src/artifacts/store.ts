import path from 'node:path'
import { DriftcoreError, isDriftcoreError } from '../errors/driftcore-error.js'
import { ConfinedDir } from '../store/confine.js'
import { JsonDocument } from '../store/documents.js'
import { sha256 } from '../store/hash.js'

export type Retention = 'short' | 'standard' | 'audit'
const RETENTION_RANK: Record<Retention, number> = { short: 0, standard: 1, audit: 2 }

export interface ArtifactRef {
  uri: string
  sha256: string
  size: number
  media_type: string
}

export interface ArtifactInfo extends ArtifactRef {
  names: string[]
  retention: Retention
  created_at: string
  last_put_at: string
}

interface ArtifactIndex {
  artifacts: Record<string, Omit<ArtifactInfo, 'uri' | 'sha256'>>
}

export interface ArtifactStoreOptions {
  maxBytes: number
  retentionDays: Record<Retention, number>
}

const URI = /^artifact:\/\/sha256\/([0-9a-f]{64})$/

/**
 * Content-addressed files under `.driftcore/artifacts/sha256/ab/…`: the same bytes are stored
 * once, a reference names its content, and the strongest retention class asked for wins.
 */
export class ArtifactStore {
  private readonly index: JsonDocument<ArtifactIndex>

  constructor(
    private readonly dir: string,
    stateDir: string,
    private readonly options: ArtifactStoreOptions,
  ) {
    this.index = new JsonDocument(path.join(stateDir, 'artifacts.json'), () => ({ artifacts: {} }))
  }

  async put(
    content: string | Uint8Array,
    meta: { name?: string; mediaType?: string; retention?: Retention } = {},
  ): Promise<ArtifactRef> {
    const bytes = typeof content === 'string' ? Buffer.from(content) : content
    if (bytes.length > this.options.maxBytes) {
      throw new DriftcoreError(
        'invalid_input',
        `artifact of ${bytes.length} bytes is over artifacts.max_bytes (${this.options.maxBytes})`,
      )
    }
    const hash = sha256(bytes)
    const store = await this.open()
    const kind = await store.kind(this.file(hash))
    if (kind === 'absent') await store.writeFile(this.file(hash), bytes, { mode: 0o600 })
    else if (kind !== 'file') throw this.notAFile(hash, kind)
    const mediaType = meta.mediaType ?? 'application/octet-stream'
    const retention = meta.retention ?? 'standard'
    const now = new Date().toISOString()
    await this.index.update((index) => {
      const prior = index.artifacts[hash]
      const names = [...new Set([...(prior?.names ?? []), ...(meta.name ? [meta.name] : [])])]
      index.artifacts[hash] = {
        size: bytes.length,
        media_type: prior?.media_type ?? mediaType,
        names,
        retention:
          prior && RETENTION_RANK[prior.retention] > RETENTION_RANK[retention] ? prior.retention : retention,
        created_at: prior?.created_at ?? now,
        last_put_at: now,
      }
    })
    return { uri: `artifact://sha256/${hash}`, sha256: hash, size: bytes.length, media_type: mediaType }
  }

  async get(ref: string): Promise<Buffer> {
    const hash = parseRef(ref)
    try {
      const bytes = await (await this.open()).readFile(this.file(hash))
      if (sha256(bytes) !== hash) {
        throw new DriftcoreError(
          'integrity',
          `artifact ${ref} does not match its hash: it was modified on disk`,
        )
      }
      return bytes
    } catch (error) {
      if (isDriftcoreError(error, 'not_found') || (error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new DriftcoreError(
          'not_found',
          `artifact ${ref} does not exist (collected, or never stored here)`,
        )
      }
      throw error
    }
  }

  async list(): Promise<ArtifactInfo[]> {
    const { artifacts } = await this.index.read()
    return Object.entries(artifacts)
      .map(([hash, info]) => ({ uri: `artifact://sha256/${hash}`, sha256: hash, ...info }))
      .sort((a, b) => a.created_at.localeCompare(b.created_at))
  }

  /** Deletes artifacts whose retention period (counted from their last use) has passed. */
  async gc(now = new Date(), dryRun = false): Promise<ArtifactInfo[]> {
    const day = 86_400_000
    const store = await this.open()
    return this.index.update(async (index) => {
      const removed: ArtifactInfo[] = []
      for (const [hash, info] of Object.entries(index.artifacts)) {
        const age = now.getTime() - Date.parse(info.last_put_at)
        if (age <= this.options.retentionDays[info.retention] * day) continue
        removed.push({ uri: `artifact://sha256/${hash}`, sha256: hash, ...info })
        if (!dryRun) {
          await store.remove(this.file(hash), { force: true })
          delete index.artifacts[hash]
        }
      }
      return removed
    })
  }

  // The store may live anywhere (a symlinked .driftcore/artifacts is fine); below it, every
  // read and write refuses a symlink, so no artifact is written or read through one.
  private open(): Promise<ConfinedDir> {
    return ConfinedDir.open(this.dir, { what: 'the artifact store', create: true, code: 'integrity' })
  }

  private file(hash: string): string {
    return `sha256/${hash.slice(0, 2)}/${hash}`
  }

  private notAFile(hash: string, kind: string): DriftcoreError {
    return new DriftcoreError(
      'integrity',
      `artifact ${hash} is stored as a ${kind === 'link' ? 'symbolic link' : kind}, not a file: ${path.join(this.dir, this.file(hash))}`,
      { hint: 'remove it; driftcore stores artifacts only as plain files', details: { sha256: hash } },
    )
  }
}

export function parseRef(ref: string): string {
  const match = URI.exec(ref) ?? /^()([0-9a-f]{64})$/.exec(ref)
  if (!match) {
    throw new DriftcoreError('invalid_input', `"${ref}" is not an artifact reference`, {
      hint: 'references look like artifact://sha256/<64 hex digits>',
    })
  }
  return match[match.length - 1]!
}
