import { queryAudit } from '../audit/query.js'
import { toDriftcoreError } from '../errors/driftcore-error.js'
import type { PolicyStore } from '../policy/snapshots.js'
import type { Check } from './doctor.js'

/**
 * What a same-user agent could have changed in the policy store, checked end to end: every
 * snapshot file verifies (hash, and signatures under the trusted keys in force now), and the
 * pin in `state/policy.json` is the one the audit log's last policy change set, since a pin is
 * the one thing in that file that decides which snapshot is in force.
 */
export async function checkPolicyStore(store: PolicyStore, auditDir: string): Promise<Check[]> {
  const checks: Check[] = []
  try {
    const snapshots = await store.verifyAll()
    const bad = snapshots.filter((s) => !s.ok)
    checks.push(
      bad.length === 0
        ? { check: 'policy snapshots', status: 'ok', detail: `${snapshots.length} verified` }
        : {
            check: 'policy snapshots',
            status: 'error',
            code: 'integrity',
            detail: bad.map((s) => s.error!.message).join('; '),
          },
    )
  } catch (error) {
    const e = toDriftcoreError(error)
    checks.push({ check: 'policy snapshots', status: 'error', code: e.code, detail: e.message })
  }
  const pin = await store.pin()
  const [last] = (await queryAudit(auditDir, { type: 'policy.{published,rollback}' })).slice(-1)
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
