import { generateKeyPairSync, sign } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { parseBundle } from '../../../src/policy/bundle.js'
import { fingerprint } from '../../../src/policy/signing.js'
import { snapshotHash, verifySnapshot, type SnapshotBundle } from '../../../src/policy/verify-snapshot.js'
import { sha256 } from '../../../src/store/hash.js'

const TEXT =
  'apiVersion: driftcore/v1\nkind: PolicyBundle\nname: p\nrules:\n  - id: reads\n    decision: ALLOW\n    match:\n      risk_tags: [read]\n'
const pair = () => generateKeyPairSync('ed25519')

function snapshot(key?: ReturnType<typeof pair>) {
  const bundle: SnapshotBundle = {
    name: 'p',
    file: '/project/.driftcore/policy/p.yaml',
    sha256: sha256(TEXT),
    source: TEXT,
    ...(key
      ? {
          signature: sign(null, Buffer.from(TEXT), key.privateKey).toString('base64'),
          signed_by: fingerprint(key.publicKey),
        }
      : {}),
    rules: parseBundle(TEXT, 'p.yaml').rules,
  }
  return { version: 1, hash: snapshotHash([bundle]), bundles: [bundle] }
}
const reasonOf = (fn: () => void) => {
  try {
    fn()
    return 'ok'
  } catch (error) {
    return (error as { details: { reason: string } }).details.reason
  }
}
const check = (s: unknown, keys: ReturnType<typeof pair>[] = []) =>
  reasonOf(() =>
    verifySnapshot(
      s,
      'snap.json',
      1,
      keys.map((k) => k.publicKey),
      1 << 20,
    ),
  )

describe('verifySnapshot', () => {
  it('accepts a snapshot as published, signed or not, under the trust it was published with', () => {
    const key = pair()
    expect(check(snapshot())).toBe('ok')
    expect(check(snapshot(key), [key])).toBe('ok')
  })

  it('calls a changed rule, a changed hash or another version tampering', () => {
    const edited = snapshot()
    edited.bundles[0]!.rules[0]!.decision = 'DENY'
    expect(check(edited)).toBe('tampered')
    expect(check({ ...snapshot(), version: 2 })).toBe('tampered')
    // Rules and hash rewritten together: only the signed text gives it away.
    const key = pair()
    const forged = snapshot(key)
    forged.bundles[0]!.rules[0]!.decision = 'DENY'
    forged.hash = snapshotHash(forged.bundles)
    expect(check(forged)).toBe('ok')
    expect(check(forged, [key])).toBe('tampered')
  })

  it('calls a snapshot as published but unverifiable now untrusted: unsigned, or signed by a key no longer trusted', () => {
    const old = pair()
    expect(check(snapshot(), [old])).toBe('untrusted')
    expect(check(snapshot(old), [pair()])).toBe('untrusted')
    const legacy = snapshot()
    delete legacy.bundles[0]!.source
    expect(check(legacy, [old])).toBe('untrusted')
  })
})
