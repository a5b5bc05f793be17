import type { KeyObject } from 'node:crypto'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { canonicalHash, canonicalJson, sha256 } from '../store/hash.js'
import { parseBundle, type PolicyRule } from './bundle.js'
import { DEFAULT_BUNDLE_YAML } from './default-bundle.js'
import { fingerprint, verifySignature } from './signing.js'

/** The name a snapshot gives the built-in bundle, which is part of driftcore and never signed. */
export const BUILTIN_FILE = '(built-in default)'

export interface SnapshotBundle {
  name: string
  file: string
  sha256: string
  /** The bundle's text as published: what its signature covers, kept so it can be re-verified. */
  source?: string
  /** Its base64 ed25519 signature, when it had one. */
  signature?: string
  signed_by?: string
  /** The bundle says `final: true`: every rule in it is final. */
  final?: true
  rules: PolicyRule[]
}

/** What a snapshot's `hash` covers, and so what every decision names. */
export function snapshotHash(bundles: readonly Pick<SnapshotBundle, 'name' | 'rules' | 'final'>[]): string {
  // `final` counts only when set, so snapshots published before it existed keep their hash.
  return canonicalHash(
    bundles.map((b) => ({ name: b.name, rules: b.rules, ...(b.final === true ? { final: true } : {}) })),
  )
}

/**
 * Checks a snapshot read from disk before it decides anything. Always: it is the snapshot its
 * file name says, its rules still hash to its `hash`, and each bundle's text still matches its
 * sha256. With trusted keys: every bundle carries its text and a signature that a key trusted
 * *now* verifies, and its rules are exactly what that signed text says (the built-in bundle
 * must be this driftcore's). Anything else is an `integrity` error naming the file, with
 * `details.reason`: `tampered` (it was changed after it was published) or `untrusted` (it is
 * as published, but cannot be verified under the keys trusted now: published unsigned, by an
 * older driftcore, or signed by a key no longer trusted).
 */
export function verifySnapshot(
  raw: unknown,
  file: string,
  version: number,
  keys: readonly KeyObject[],
  maxYamlBytes: number,
): void {
  const fail = (problem: string, hint?: string, reason: 'tampered' | 'untrusted' = 'tampered'): never => {
    throw new DriftcoreError('integrity', `policy snapshot ${file} ${problem}`, {
      hint:
        hint ??
        'it was edited after it was published; restore it, or remove it and run `driftcore policy publish`',
      details: { file, version, reason },
    })
  }
  const untrusted = (problem: string, hint: string): never => fail(problem, hint, 'untrusted')
  const s = raw as { version?: unknown; hash?: unknown; bundles?: unknown }
  if (typeof s !== 'object' || s === null || !Array.isArray(s.bundles) || typeof s.hash !== 'string')
    fail('is not a policy snapshot')
  if (s.version !== version) fail(`says it is version ${String(s.version)}, not ${version}`)
  const bundles = s.bundles as SnapshotBundle[]
  if (snapshotHash(bundles) !== s.hash)
    fail(`was changed: its rules no longer match its hash ${String(s.hash)}`)
  for (const b of bundles) {
    if (b.source !== undefined && sha256(b.source) !== b.sha256)
      fail(`was changed: the text of bundle "${b.name}" no longer matches its sha256`)
  }
  if (keys.length === 0) return
  for (const b of bundles) {
    const where = `${file} (bundle ${b.file})`
    if (b.source === undefined)
      untrusted(
        `cannot be verified under policy.trusted_keys: it does not keep the text of bundle "${b.name}"`,
        'it was published by an older driftcore; sign the bundles and run `driftcore policy publish`',
      )
    if (b.file === BUILTIN_FILE) {
      if (b.source !== DEFAULT_BUNDLE_YAML)
        untrusted(
          'holds a built-in bundle that is not this driftcore’s',
          'run `driftcore policy publish` to publish the bundles in force now',
        )
    } else if (b.signature === undefined) {
      untrusted(
        `was published without a signature for bundle ${b.file}, and policy.trusted_keys now requires one`,
        'sign the bundles (driftcore policy sign FILE --key KEY) and run `driftcore policy publish`',
      )
    } else {
      try {
        verifySignature(where, Buffer.from(b.source!, 'utf8'), b.signature, [...keys])
      } catch (error) {
        const message = `does not verify under the trusted keys in force: ${(error as Error).message}`
        // Signed by a key that is trusted now, yet it does not verify: changed after signing.
        if (b.signed_by === undefined || keys.some((k) => fingerprint(k) === b.signed_by)) fail(message)
        untrusted(message, `it was signed by ${b.signed_by}, which policy.trusted_keys no longer lists`)
      }
    }
    const parsed = parseBundle(b.source!, where, maxYamlBytes)
    if (
      parsed.name !== b.name ||
      (parsed.final === true) !== (b.final === true) ||
      canonicalJson(parsed.rules) !== canonicalJson(b.rules)
    )
      fail(`was changed: the rules of bundle "${b.name}" are not what its signed text says`)
  }
}
