import { queryAudit } from '../audit/query.js'
import { persistentHash } from '../config/history.js'
import { toDriftcoreError } from '../errors/driftcore-error.js'
import type { Kernel } from '../kernel/open.js'
import type { PolicyStore, SnapshotCheck } from '../policy/snapshots.js'
import { canonicalJson } from '../store/hash.js'
import type { Check } from './doctor.js'

/**
 * The config in force must be the one the audit log's last config.changed record says: a
 * kernel records every change it sees, so a config that differs was changed together with the
 * memory of it (state/config.json) to keep the change out of the log.
 */
export async function checkConfigHistory(kernel: Kernel): Promise<Check> {
  const hash = persistentHash(kernel.config, kernel.registry.configSections())
  const last = (await queryAudit(kernel.paths.audit, { type: 'config.changed' })).at(-1)
  if (last?.data.new_hash === hash)
    return { check: 'config history', status: 'ok', detail: `last change recorded at seq ${last.seq}` }
  return {
    check: 'config history',
    status: 'error',
    code: 'integrity',
    detail: last
      ? `the config in force (sha256 ${hash.slice(0, 16)}) is not the one the audit log's last config.changed record (seq ${last.seq}) names: ` +
        `the layer files and ${kernel.paths.state}/config.json were changed together`
      : `the audit log has no config.changed record for the config in force (sha256 ${hash.slice(0, 16)})`,
  }
}

/**
 * What a same-user agent could have changed in the policy store, checked end to end: every
 * snapshot file verifies (hash, and signatures under the trusted keys in force now), and the
 * pin in `state/policy.json` is the one the audit log's last policy change set, since a pin is
 * the one thing in that file that decides which snapshot is in force.
 */
export async function checkPolicyStore(store: PolicyStore, auditDir: string): Promise<Check[]> {
  const checks: Check[] = []
  const published = await queryAudit(auditDir, { type: 'policy.{published,rollback}' })
  try {
    const snapshots = await store.verifyAll()
    const records = new Map(
      published
        .filter((r) => r.type === 'policy.published')
        .map((r) => [
          Number(r.data.version),
          {
            hash: r.data.hash,
            bundles: ((r.data.bundles as { sha256?: string }[] | undefined) ?? []).map((b) => b.sha256),
          },
        ]),
    )
    // Published by driftcore: the audit log's policy.published record names this version, hash
    // and bundle texts. A snapshot that verifies but has none (an old one copied under a new
    // number) and one that cannot be verified now and does not match its record were changed.
    const asPublished = (s: SnapshotCheck) => {
      const record = records.get(s.version)
      return (
        record !== undefined &&
        record.hash === s.hash &&
        canonicalJson(record.bundles) === canonicalJson(s.bundle_sha256 ?? [])
      )
    }
    const errors: string[] = []
    const warnings: string[] = []
    for (const s of snapshots) {
      if (s.ok && !asPublished(s))
        errors.push(
          `policy snapshot ${s.file} does not match the policy.published record of v${s.version} in the audit log: it is not what driftcore published`,
        )
      else if (!s.ok && (s.reason === 'tampered' || !asPublished(s))) errors.push(s.error!.message)
      else if (!s.ok) warnings.push(`v${s.version} can no longer be used (${s.error!.message})`)
    }
    const verified = snapshots.filter((s) => s.ok).length
    checks.push(
      errors.length > 0
        ? { check: 'policy snapshots', status: 'error', code: 'integrity', detail: errors.join('; ') }
        : warnings.length > 0
          ? {
              check: 'policy snapshots',
              status: 'warn',
              detail: `${verified} verified; ${warnings.join('; ')}`,
            }
          : { check: 'policy snapshots', status: 'ok', detail: `${verified} verified` },
    )
  } catch (error) {
    const e = toDriftcoreError(error)
    checks.push({ check: 'policy snapshots', status: 'error', code: e.code, detail: e.message })
  }
  const pin = await store.pin()
  const last = published.at(-1)
  const expected = last
    ? last.type === 'policy.rollback'
      ? { pinned: true, current: last.data.to as number }
      : { pinned: false, current: last.data.version as number }
    : { pinned: false, current: null }
  const agrees = pin.pinned === expected.pinned && (!pin.pinned || pin.current === expected.current)
  checks.push(
    agrees
      ? {
          check: 'policy index',
          status: 'ok',
          detail: pin.pinned ? `pinned to v${pin.current} by policy rollback` : 'not pinned',
        }
      : {
          check: 'policy index',
          status: 'error',
          code: 'integrity',
          detail:
            `${pin.file} says ${pin.pinned ? `pinned to v${pin.current}` : 'not pinned'}, but the audit log's last ` +
            `policy change ${last ? `(seq ${last.seq}, ${last.type})` : '(none)'} left it ` +
            `${expected.pinned ? `pinned to v${expected.current}` : 'not pinned'}; it was edited. Fix it with ` +
            '`driftcore policy publish` (or `policy rollback --to N`)',
        },
  )
  return checks
}
