import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import type { AuditLog } from '../audit/log.js'
import type { Actor } from '../audit/record.js'
import { DriftcoreError, toDriftcoreError } from '../errors/driftcore-error.js'
import { writeFileAtomic } from '../store/atomic-write.js'
import { JsonDocument } from '../store/documents.js'
import { canonicalHash, sha256 } from '../store/hash.js'
import type { ProjectPaths } from '../store/paths.js'
import { parseBundle, type PolicyRule } from './bundle.js'
import { DEFAULT_BUNDLE_YAML } from './default-bundle.js'
import { CompiledPolicy } from './engine.js'
import { loadTrustedKeys, signatureFile, verifySignature } from './signing.js'

export interface SnapshotBundle {
  name: string
  file: string
  sha256: string
  signed_by?: string
  rules: PolicyRule[]
}

/** An immutable, numbered set of bundles: what every decision names. */
export interface PolicySnapshot {
  version: number
  hash: string
  /** Hash of the bundle files, signatures and trusted keys it was built from. */
  source_hash: string
  created_at: string
  created_by: Actor
  bundles: SnapshotBundle[]
}

interface PolicyIndex {
  current: number | null
  /** After a rollback, changed bundle files are not published until `policy publish`. */
  pinned: boolean
  /** The last source that was refused, so a bad file is audited once, not on every command. */
  refused_source_hash?: string
}

export interface ActivePolicy {
  snapshot: PolicySnapshot
  compiled: CompiledPolicy
  /** Set when the bundles on disk were refused and the last-known-good snapshot stays in force. */
  refusal?: DriftcoreError
}

interface BundleSource {
  file: string
  bytes: Buffer
  signature: string | undefined
}

const SYSTEM: Actor = { type: 'system', id: 'driftcore' }

/**
 * Policy snapshots on disk: bundles in `.driftcore/policy/*.yaml` are compiled into numbered
 * snapshots under `policy/snapshots/`. When the files change, the next command publishes a new
 * snapshot; a bundle that is invalid or badly signed is refused (and audited) and the
 * last-known-good snapshot stays in force. With no project bundle, the built-in one applies.
 */
export class PolicyStore {
  private readonly index: JsonDocument<PolicyIndex>
  private readonly snapshotsDir: string

  constructor(
    private readonly paths: ProjectPaths,
    private readonly options: { trustedKeys: readonly string[]; audit: AuditLog; maxYamlBytes: number },
  ) {
    this.index = new JsonDocument<PolicyIndex>(path.join(paths.state, 'policy.json'), () => ({
      current: null,
      pinned: false,
    }))
    this.snapshotsDir = path.join(paths.policy, 'snapshots')
  }

  /** The snapshot in force, publishing the bundles on disk first if they changed. */
  async active(): Promise<ActivePolicy> {
    const sources = await this.readSources()
    const sourceHash = this.sourceHash(sources)
    const index = await this.index.read()
    const current = index.current === null ? undefined : await this.read(index.current)
    if (current && (index.pinned || current.source_hash === sourceHash)) return this.activate(current)
    if (current && index.refused_source_hash === sourceHash) {
      return { ...this.activate(current), refusal: await this.refusalFor(sources) }
    }
    try {
      return this.activate(await this.publishSources(sources, sourceHash, SYSTEM))
    } catch (error) {
      const refusal = toDriftcoreError(error)
      await this.recordRefusal(refusal, sourceHash, SYSTEM)
      if (current) return { ...this.activate(current), refusal }
      // Nothing was ever valid: deny everything rather than guess.
      return { ...this.activate(denyAll()), refusal }
    }
  }

  /** Explicit publish: refuses (and audits the refusal) instead of falling back. */
  async publish(actor: Actor): Promise<PolicySnapshot> {
    const sources = await this.readSources()
    const sourceHash = this.sourceHash(sources)
    try {
      const snapshot = await this.publishSources(sources, sourceHash, actor)
      await this.index.update((i) => {
        i.pinned = false
      })
      return snapshot
    } catch (error) {
      const refusal = toDriftcoreError(error)
      await this.recordRefusal(refusal, sourceHash, actor)
      throw refusal
    }
  }

  async list(): Promise<{
    current: number | null
    pinned: boolean
    snapshots: Omit<PolicySnapshot, 'bundles'>[]
  }> {
    const index = await this.index.read()
    const snapshots = await Promise.all((await this.versions()).map((v) => this.read(v)))
    return {
      current: index.current,
      pinned: index.pinned,
      snapshots: snapshots.map(({ bundles: _bundles, ...rest }) => rest),
    }
  }

  /** Makes an earlier snapshot current and pins it until the next explicit publish. */
  async rollback(actor: Actor, to?: number): Promise<PolicySnapshot> {
    const index = await this.index.read()
    const versions = await this.versions()
    const target = to ?? versions.filter((v) => v < (index.current ?? 0)).at(-1)
    if (target === undefined || !versions.includes(target)) {
      throw new DriftcoreError(
        'not_found',
        to === undefined
          ? 'there is no earlier snapshot to roll back to'
          : `policy snapshot ${to} does not exist`,
        {
          hint: 'list them with `driftcore policy snapshots`',
        },
      )
    }
    const snapshot = await this.read(target)
    await this.index.update((i) => {
      i.current = target
      i.pinned = true
    })
    await this.options.audit.record({
      type: 'policy.rollback',
      actor,
      subject: `snapshot:${target}`,
      data: { from: index.current, to: target, hash: snapshot.hash },
    })
    return snapshot
  }

  /** Compiles the current bundles plus a draft (replacing a bundle of the same name) without saving anything. */
  async draft(file: string): Promise<CompiledPolicy> {
    const text = await readFile(file, 'utf8')
    const draft = parseBundle(text, file, this.options.maxYamlBytes)
    const { snapshot } = await this.active()
    const bundles = [
      ...snapshot.bundles.filter((b) => b.name !== draft.name && b.name !== 'default'),
      { name: draft.name, rules: draft.rules },
    ]
    return new CompiledPolicy(
      bundles.flatMap((b) => b.rules.map((rule) => ({ bundle: b.name, rule }))),
      { version: 0, hash: `draft:${sha256(text).slice(0, 16)}` },
    )
  }

  async bundleFiles(): Promise<string[]> {
    try {
      return (await readdir(this.paths.policy))
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => path.join(this.paths.policy, f))
    } catch {
      return []
    }
  }

  private activate(snapshot: PolicySnapshot): ActivePolicy {
    const rules = snapshot.bundles.flatMap((b) => b.rules.map((rule) => ({ bundle: b.name, rule })))
    return {
      snapshot,
      compiled: new CompiledPolicy(rules, { version: snapshot.version, hash: snapshot.hash }),
    }
  }

  private async readSources(): Promise<BundleSource[]> {
    return Promise.all(
      (await this.bundleFiles()).map(async (file) => ({
        file,
        bytes: await readFile(file),
        signature: await readFile(signatureFile(file), 'utf8').catch(() => undefined),
      })),
    )
  }

  private sourceHash(sources: BundleSource[]): string {
    return canonicalHash({
      files: sources.map((s) => [path.basename(s.file), sha256(s.bytes), s.signature ?? null]),
      trusted: this.options.trustedKeys,
    })
  }

  private async compile(sources: BundleSource[]): Promise<SnapshotBundle[]> {
    const keys = await loadTrustedKeys(this.options.trustedKeys, this.paths.root)
    const inputs =
      sources.length > 0
        ? sources
        : [{ file: '(built-in default)', bytes: Buffer.from(DEFAULT_BUNDLE_YAML), signature: undefined }]
    const bundles: SnapshotBundle[] = []
    const ruleOwners = new Map<string, string>()
    for (const source of inputs) {
      const signedBy =
        sources.length > 0 && keys.length > 0
          ? verifySignature(source.file, source.bytes, source.signature, keys)
          : undefined
      const bundle = parseBundle(source.bytes.toString('utf8'), source.file, this.options.maxYamlBytes)
      for (const rule of bundle.rules) {
        const owner = ruleOwners.get(rule.id)
        if (owner) {
          throw new DriftcoreError(
            'invalid_input',
            `${source.file}: duplicate rule id "${rule.id}", already used in ${owner}`,
            {
              hint: 'rule ids must be unique across all bundles, since decisions name them',
            },
          )
        }
        ruleOwners.set(rule.id, source.file)
      }
      bundles.push({
        name: bundle.name,
        file: source.file,
        sha256: sha256(source.bytes),
        ...(signedBy ? { signed_by: signedBy } : {}),
        rules: bundle.rules,
      })
    }
    return bundles
  }

  private async publishSources(
    sources: BundleSource[],
    sourceHash: string,
    actor: Actor,
  ): Promise<PolicySnapshot> {
    const bundles = await this.compile(sources)
    const hash = canonicalHash(bundles.map((b) => ({ name: b.name, rules: b.rules })))
    const snapshot = await this.index.update(async (index) => {
      const current = index.current === null ? undefined : await this.read(index.current)
      if (current && current.hash === hash && current.source_hash === sourceHash) return current
      const version = ((await this.versions()).at(-1) ?? 0) + 1
      const next: PolicySnapshot = {
        version,
        hash,
        source_hash: sourceHash,
        created_at: new Date().toISOString(),
        created_by: actor,
        bundles,
      }
      await writeFileAtomic(this.snapshotFile(version), JSON.stringify(next, null, 2) + '\n')
      index.current = version
      delete index.refused_source_hash
      return next
    })
    await this.options.audit.record({
      type: 'policy.published',
      actor,
      subject: `snapshot:${snapshot.version}`,
      data: {
        version: snapshot.version,
        hash: snapshot.hash,
        bundles: bundles.map((b) => ({ name: b.name, sha256: b.sha256, signed_by: b.signed_by ?? null })),
      },
    })
    return snapshot
  }

  private async recordRefusal(error: DriftcoreError, sourceHash: string, actor: Actor): Promise<void> {
    await this.index.update((i) => {
      i.refused_source_hash = sourceHash
    })
    await this.options.audit.record({
      type: 'policy.refused',
      actor,
      subject: 'policy',
      data: { code: error.code, error: error.message, source_hash: sourceHash },
    })
  }

  private async refusalFor(sources: BundleSource[]): Promise<DriftcoreError> {
    try {
      await this.compile(sources)
      return new DriftcoreError('integrity', 'policy bundles were refused earlier')
    } catch (error) {
      return toDriftcoreError(error)
    }
  }

  private snapshotFile(version: number): string {
    return path.join(this.snapshotsDir, `${String(version).padStart(6, '0')}.json`)
  }

  private async read(version: number): Promise<PolicySnapshot> {
    try {
      return JSON.parse(await readFile(this.snapshotFile(version), 'utf8')) as PolicySnapshot
    } catch (error) {
      throw new DriftcoreError(
        'integrity',
        `policy snapshot ${version} cannot be read: ${(error as Error).message}`,
        { cause: error },
      )
    }
  }

  private async versions(): Promise<number[]> {
    try {
      return (await readdir(this.snapshotsDir))
        .filter((f) => /^\d{6}\.json$/.test(f))
        .map((f) => Number(f.slice(0, 6)))
        .sort((a, b) => a - b)
    } catch {
      return []
    }
  }
}

function denyAll(): PolicySnapshot {
  return {
    version: 0,
    hash: 'deny-all',
    source_hash: '',
    created_at: new Date(0).toISOString(),
    created_by: SYSTEM,
    bundles: [],
  }
}
