import type { KeyObject } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import type { AuditLog } from '../audit/log.js'
import type { Actor } from '../audit/record.js'
import { DriftcoreError, toDriftcoreError } from '../errors/driftcore-error.js'
import { writeFileAtomic } from '../store/atomic-write.js'
import { JsonDocument } from '../store/documents.js'
import { canonicalHash, sha256 } from '../store/hash.js'
import type { ProjectPaths } from '../store/paths.js'
import { parseBundleSource, type ParsedBundle } from './bundle.js'
import { checkBundlesCompose, ruleSources } from './compose.js'
import { DEFAULT_BUNDLE_YAML } from './default-bundle.js'
import { CompiledPolicy } from './engine.js'
import { fingerprint, loadTrustedKeys, signatureFile, verifySignature } from './signing.js'
import { BUILTIN_FILE, snapshotHash, verifySnapshot, type SnapshotBundle } from './verify-snapshot.js'

export type { SnapshotBundle } from './verify-snapshot.js'

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

/**
 * `state/policy.json`. Only a pin is read from it: unpinned, the newest snapshot that verifies is
 * in force whatever `current` says, so editing it to point at an older snapshot changes nothing.
 * An edited pin is what `driftcore doctor` compares with the audit log.
 */
interface PolicyIndex {
  current: number | null
  /** After a rollback, changed bundle files are not published until `policy publish`. */
  pinned: boolean
  /** The last source that was refused, so a bad file is audited once, not on every command. */
  refused_source_hash?: string
  /** Snapshot file → what was found wrong with it (its bytes and the trust), audited once. */
  integrity_reported?: Record<string, string>
}

export interface ActivePolicy {
  snapshot: PolicySnapshot
  compiled: CompiledPolicy
  /** Set when the bundles on disk were refused and the last-known-good snapshot stays in force. */
  refusal?: DriftcoreError
  /** Snapshots that failed verification on the way to the one in force. */
  integrity?: DriftcoreError[]
}

export interface SnapshotCheck {
  version: number
  file: string
  ok: boolean
  /** Why it failed: changed after it was published, or as published but not verifiable now. */
  reason?: 'tampered' | 'untrusted'
  /** What the file says (when it can be read), to compare with its policy.published record. */
  hash?: string
  bundle_sha256?: string[]
  error?: DriftcoreError
}

type Loaded =
  { snapshot: PolicySnapshot; error?: undefined } | { snapshot?: undefined; error: DriftcoreError }

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
 *
 * A snapshot is verified every time it is read (`verifySnapshot`): its hash, and with trusted
 * keys its bundles' signatures under the keys trusted now. One that fails is an integrity error,
 * audited once per file, and never decides anything.
 */
export class PolicyStore {
  private readonly index: JsonDocument<PolicyIndex>
  private readonly snapshotsDir: string
  private trusted: Promise<KeyObject[]> | undefined

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
    let keys: KeyObject[]
    try {
      keys = await this.keys()
    } catch (error) {
      // No trusted key can be loaded, so no snapshot can be trusted: deny everything.
      const refusal = toDriftcoreError(error)
      const sourceHash = canonicalHash({ unloadable: this.options.trustedKeys, error: refusal.message })
      if ((await this.index.read()).refused_source_hash !== sourceHash)
        await this.recordRefusal(refusal, sourceHash, SYSTEM)
      return { ...this.activate(denyAll()), refusal }
    }
    const sourceHash = this.sourceHash(sources, keys)
    const index = await this.index.read()
    const versions = await this.versions()
    const integrity: DriftcoreError[] = []
    const with_ = (policy: ActivePolicy): ActivePolicy =>
      integrity.length > 0 ? { ...policy, integrity } : policy

    if (index.pinned && index.current !== null) {
      // A pin holds whatever the files say; if the pinned snapshot fails, the newest one at or
      // below it that verifies takes its place (never a newer one: the pin said not those).
      const pinned = await this.load(index.current, keys)
      if (pinned.snapshot) return this.activate(pinned.snapshot)
      integrity.push(pinned.error)
      const fallback = await this.newestVerified(
        keys,
        versions.filter((v) => v < index.current!),
        integrity,
      )
      return with_(this.activate(fallback ?? denyAll()))
    }

    // Unpinned, the newest snapshot is the one in force; the index's `current` is not consulted.
    const newest = versions.at(-1)
    const loaded = newest === undefined ? undefined : await this.load(newest, keys)
    if (loaded?.error) integrity.push(loaded.error)
    const current = loaded?.snapshot
    if (current && current.source_hash === sourceHash) return with_(this.activate(current))
    const lastGood = async () =>
      current ?? (await this.newestVerified(keys, versions.slice(0, -1), integrity)) ?? denyAll()
    if (index.refused_source_hash === sourceHash) {
      return with_({ ...this.activate(await lastGood()), refusal: await this.refusalFor(sources, keys) })
    }
    try {
      return with_(this.activate(await this.publishSources(sources, sourceHash, keys, SYSTEM)))
    } catch (error) {
      const refusal = toDriftcoreError(error)
      await this.recordRefusal(refusal, sourceHash, SYSTEM)
      // Nothing valid: deny everything rather than guess.
      return with_({ ...this.activate(await lastGood()), refusal })
    }
  }

  /** Explicit publish: refuses (and audits the refusal) instead of falling back. */
  async publish(actor: Actor): Promise<PolicySnapshot> {
    const sources = await this.readSources()
    const keys = await this.keys()
    const sourceHash = this.sourceHash(sources, keys)
    try {
      const snapshot = await this.publishSources(sources, sourceHash, keys, actor)
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
    snapshots: (Omit<PolicySnapshot, 'bundles'> & { verified: boolean; problem?: string })[]
  }> {
    const index = await this.index.read()
    const versions = await this.versions()
    const checks = await this.verifyAll()
    const snapshots = await Promise.all(
      versions.map(async (v, i) => {
        const check = checks[i]!
        const raw = (await this.readRaw(v).catch(() => undefined))?.snapshot
        const { bundles: _bundles, ...rest } = raw ?? { ...denyAll(), version: v, hash: '' }
        return { ...rest, verified: check.ok, ...(check.error ? { problem: check.error.message } : {}) }
      }),
    )
    return {
      current: index.pinned ? index.current : (versions.at(-1) ?? null),
      pinned: index.pinned,
      snapshots,
    }
  }

  /** Every snapshot file, verified under the trusted keys in force (for `doctor`). */
  async verifyAll(): Promise<SnapshotCheck[]> {
    const keys = await this.keys()
    return Promise.all(
      (await this.versions()).map(async (version): Promise<SnapshotCheck> => {
        const loaded = await this.load(version, keys)
        const file = this.snapshotFile(version)
        if (loaded.snapshot) {
          const { hash, bundles } = loaded.snapshot
          return { version, file, ok: true, hash, bundle_sha256: bundles.map((b) => b.sha256) }
        }
        const raw = (await this.readRaw(version).catch(() => undefined))?.snapshot
        const reason = loaded.error.details.reason === 'untrusted' ? 'untrusted' : 'tampered'
        return {
          version,
          file,
          ok: false,
          reason,
          ...(typeof raw?.hash === 'string' ? { hash: raw.hash } : {}),
          ...(Array.isArray(raw?.bundles) ? { bundle_sha256: raw.bundles.map((b) => b.sha256) } : {}),
          error: loaded.error,
        }
      }),
    )
  }

  /** The index as stored, for `doctor` to compare with the audit log. */
  async pin(): Promise<{ file: string; current: number | null; pinned: boolean }> {
    const index = await this.index.read()
    return { file: this.index.file, current: index.current, pinned: index.pinned }
  }

  /**
   * Makes an earlier snapshot current and pins it until the next explicit publish. The target
   * is verified first, under the trusted keys in force now: one that fails is refused
   * (`integrity`, naming its file) and nothing is pinned.
   */
  async rollback(actor: Actor, to?: number): Promise<{ snapshot: PolicySnapshot; from: number | null }> {
    const keys = await this.keys()
    const index = await this.index.read()
    const versions = await this.versions()
    const from = index.pinned ? index.current : (versions.at(-1) ?? null)
    const target = to ?? versions.filter((v) => v < (from ?? 0)).at(-1)
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
    const loaded = await this.load(target, keys)
    if (loaded.error) throw loaded.error
    const snapshot = loaded.snapshot
    await this.index.update((i) => {
      i.current = target
      i.pinned = true
    })
    await this.options.audit.record({
      type: 'policy.rollback',
      actor,
      subject: `snapshot:${target}`,
      data: { from, to: target, hash: snapshot.hash },
    })
    return { snapshot, from }
  }

  /** Compiles the current bundles plus a draft (replacing a bundle of the same name) without saving anything. */
  /**
   * The bundles in force plus a draft (replacing a bundle of the same name, as the file would),
   * checked as publishing checks them. The built-in default is left out, as it would be: it
   * applies only while `.driftcore/policy/` holds no bundle.
   */
  async draft(file: string): Promise<CompiledPolicy> {
    const text = await readFile(file, 'utf8')
    const draft = parseBundleSource(text, file, this.options.maxYamlBytes)
    const { snapshot } = await this.active()
    const kept = snapshot.bundles.filter((b) => b.name !== draft.bundle.name && b.file !== BUILTIN_FILE)
    checkBundlesCompose([...kept.map((b) => inForce(b, this.options.maxYamlBytes)), draft])
    const bundles = [
      ...kept,
      { name: draft.bundle.name, final: draft.bundle.final, rules: draft.bundle.rules },
    ]
    return new CompiledPolicy(ruleSources(bundles), {
      version: 0,
      hash: `draft:${sha256(text).slice(0, 16)}`,
    })
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

  private keys(): Promise<KeyObject[]> {
    this.trusted ??= loadTrustedKeys(this.options.trustedKeys, this.paths.root)
    return this.trusted
  }

  private activate(snapshot: PolicySnapshot): ActivePolicy {
    const rules = ruleSources(snapshot.bundles)
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

  // What a snapshot is built from. The trusted keys count by content, so a key file swapped for
  // another publishes (and audits) a new snapshot; the built-in bundle counts when it is used,
  // so a driftcore upgrade that changes it publishes too.
  private sourceHash(sources: BundleSource[], keys: readonly KeyObject[]): string {
    return canonicalHash({
      files: sources.map((s) => [path.basename(s.file), sha256(s.bytes), s.signature ?? null]),
      trusted: this.options.trustedKeys,
      ...(keys.length > 0 ? { keys: keys.map(fingerprint) } : {}),
      ...(sources.length === 0 ? { builtin: sha256(DEFAULT_BUNDLE_YAML) } : {}),
    })
  }

  private async compile(sources: BundleSource[], keys: readonly KeyObject[]): Promise<SnapshotBundle[]> {
    const inputs =
      sources.length > 0
        ? sources
        : [{ file: BUILTIN_FILE, bytes: Buffer.from(DEFAULT_BUNDLE_YAML), signature: undefined }]
    const bundles: SnapshotBundle[] = []
    const parsedAll: ParsedBundle[] = []
    for (const source of inputs) {
      const signedBy =
        sources.length > 0 && keys.length > 0
          ? verifySignature(source.file, source.bytes, source.signature, [...keys])
          : undefined
      const text = source.bytes.toString('utf8')
      // The snapshot keeps the text to re-verify its signature later, so it must be the bytes.
      if (!Buffer.from(text, 'utf8').equals(source.bytes)) {
        throw new DriftcoreError('invalid_input', `${source.file} is not UTF-8 text`, {
          hint: 'policy bundles are YAML, which is UTF-8',
        })
      }
      const parsed = parseBundleSource(text, source.file, this.options.maxYamlBytes)
      const bundle = parsed.bundle
      parsedAll.push(parsed)
      bundles.push({
        name: bundle.name,
        file: source.file,
        sha256: sha256(source.bytes),
        source: text,
        ...(source.signature !== undefined && signedBy ? { signature: source.signature.trim() } : {}),
        ...(signedBy ? { signed_by: signedBy } : {}),
        ...(bundle.final === true ? { final: true as const } : {}),
        rules: bundle.rules,
      })
    }
    checkBundlesCompose(parsedAll)
    return bundles
  }

  private async publishSources(
    sources: BundleSource[],
    sourceHash: string,
    keys: readonly KeyObject[],
    actor: Actor,
  ): Promise<PolicySnapshot> {
    const bundles = await this.compile(sources, keys)
    const hash = snapshotHash(bundles)
    const snapshot = await this.index.update(async (index) => {
      const versions = await this.versions()
      const newest = versions.at(-1)
      // The same bundles as the snapshot in force (another process published them meanwhile)
      // are not published twice; only a snapshot that verifies counts. Not reported from here:
      // reporting takes the index lock this update holds.
      const inForce = index.pinned ? index.current : newest
      const current =
        inForce === undefined || inForce === null
          ? undefined
          : (await this.load(inForce, keys, false)).snapshot
      if (current && current.hash === hash && current.source_hash === sourceHash) {
        index.current = current.version
        return current
      }
      const version = (newest ?? 0) + 1
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

  private async refusalFor(sources: BundleSource[], keys: readonly KeyObject[]): Promise<DriftcoreError> {
    try {
      await this.compile(sources, keys)
      return new DriftcoreError('integrity', 'policy bundles were refused earlier')
    } catch (error) {
      return toDriftcoreError(error)
    }
  }

  /** The newest of `versions` that verifies; each failure on the way is collected. */
  private async newestVerified(
    keys: readonly KeyObject[],
    versions: readonly number[],
    failures: DriftcoreError[],
  ): Promise<PolicySnapshot | undefined> {
    for (const version of [...versions].reverse()) {
      const loaded = await this.load(version, keys)
      if (loaded.snapshot) return loaded.snapshot
      failures.push(loaded.error)
    }
    return undefined
  }

  private snapshotFile(version: number): string {
    return path.join(this.snapshotsDir, `${String(version).padStart(6, '0')}.json`)
  }

  private async readRaw(version: number): Promise<{ snapshot: PolicySnapshot; bytes: Buffer }> {
    const file = this.snapshotFile(version)
    let bytes: Buffer
    try {
      bytes = await readFile(file)
    } catch (error) {
      throw new DriftcoreError(
        'integrity',
        `policy snapshot ${file} cannot be read: ${(error as Error).message}`,
        {
          cause: error,
        },
      )
    }
    try {
      return { snapshot: JSON.parse(bytes.toString('utf8')) as PolicySnapshot, bytes }
    } catch (error) {
      throw new DriftcoreError(
        'integrity',
        `policy snapshot ${file} is not valid JSON: ${(error as Error).message}`,
        {
          hint: 'it was edited after it was published; restore it, or remove it and run `driftcore policy publish`',
          cause: error,
        },
      )
    }
  }

  /** Reads and verifies one snapshot; a failure is audited once per file, content and trust. */
  private async load(version: number, keys: readonly KeyObject[], report = true): Promise<Loaded> {
    const file = this.snapshotFile(version)
    let bytes: Buffer | undefined
    try {
      const raw = await this.readRaw(version)
      bytes = raw.bytes
      verifySnapshot(raw.snapshot, file, version, keys, this.options.maxYamlBytes)
      return { snapshot: raw.snapshot }
    } catch (thrown) {
      const error = toDriftcoreError(thrown)
      const integrity =
        error.code === 'integrity'
          ? error
          : new DriftcoreError('integrity', `policy snapshot ${file} cannot be verified: ${error.message}`, {
              cause: error,
            })
      if (report) await this.reportIntegrity(file, version, integrity, bytes, keys)
      return { error: integrity }
    }
  }

  private async reportIntegrity(
    file: string,
    version: number,
    error: DriftcoreError,
    bytes: Buffer | undefined,
    keys: readonly KeyObject[],
  ): Promise<void> {
    const seen = canonicalHash([bytes ? sha256(bytes) : null, keys.map(fingerprint), error.message])
    const name = path.basename(file)
    if ((await this.index.read()).integrity_reported?.[name] === seen) return
    const first = await this.index.update((i) => {
      if (i.integrity_reported?.[name] === seen) return false
      i.integrity_reported = { ...i.integrity_reported, [name]: seen }
      return true
    })
    if (!first) return
    await this.options.audit.record({
      type: 'policy.integrity',
      actor: SYSTEM,
      subject: `snapshot:${version}`,
      data: { file, version, error: error.message },
    })
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

// A bundle already in force, for the checks a draft must pass beside it (no positions needed).
function inForce(b: SnapshotBundle, maxYamlBytes: number): ParsedBundle {
  if (b.source !== undefined) return parseBundleSource(b.source, b.file, maxYamlBytes)
  return {
    bundle: {
      apiVersion: 'driftcore/v1',
      kind: 'PolicyBundle',
      name: b.name,
      final: b.final,
      rules: b.rules,
    },
    file: b.file,
    where: (index) => `${b.file} (rule #${index + 1})`,
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
