import type { ErrorCode } from '../errors/driftcore-error.js'
import { which } from '../launcher/allowlist.js'
import { bwrapAvailable } from '../launcher/isolation.js'

export interface Check {
  check: string
  status: 'ok' | 'missing' | 'warn' | 'error'
  detail: string
  /** For an error: its DriftcoreError code (`integrity` makes doctor exit 8). */
  code?: ErrorCode
}

/**
 * Programs driftcore and its plugins can use, found on PATH or not. doctor does not run them
 * (every child process goes through the gate's launcher); bubblewrap is tried the way the
 * launcher itself tries it, since being installed is not the same as being usable.
 */
export function checkPrograms(extra: readonly string[] = []): Check[] {
  const checks: Check[] = []
  const major = Number(process.versions.node.split('.')[0])
  checks.push({
    check: 'node',
    status: major >= 22 ? 'ok' : 'error',
    detail: `v${process.versions.node}${major >= 22 ? '' : ' (driftcore needs >= 22)'}`,
  })
  // Without a usable bwrap the launcher starts nothing (unless launcher.containment is off).
  const refused = ': no process can be started unless launcher.containment is off'
  for (const name of new Set(['git', 'php', 'drush', 'bwrap', 'prlimit', ...extra])) {
    const found = which(name)
    if (!found) {
      checks.push({ check: name, status: 'missing', detail: `not on PATH${name === 'bwrap' ? refused : ''}` })
      continue
    }
    const unusable = name === 'bwrap' && !bwrapAvailable()
    checks.push({
      check: name,
      status: unusable ? 'warn' : 'ok',
      detail: `${found}${unusable ? ` (installed but cannot create namespaces here${refused})` : ''}`,
    })
  }
  return checks
}
