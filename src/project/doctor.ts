import { accessSync, constants } from 'node:fs'
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
export function checkPrograms(
  extra: readonly string[] = [],
  /** Programs a tool runs by another name (`drush` as `vendor/bin/drush`): found where the launcher finds them. */
  configured: Readonly<Record<string, { found?: string; problem?: string }>> = {},
): Check[] {
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
    const own = configured[name]
    if (own) {
      checks.push(
        own.found
          ? { check: name, status: 'ok', detail: own.found }
          : { check: name, status: 'missing', detail: own.problem ?? 'not found' },
      )
      continue
    }
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

/**
 * What a requirement named like a config section with a `command` (`drush.command:
 * vendor/bin/drush`, `ddev drush`) really runs: its first word, resolved as the launcher
 * resolves it (the allowlist, paths relative to the project), so doctor checks what the tools
 * will actually start.
 */
export function configuredPrograms(
  names: readonly string[],
  values: Readonly<Record<string, unknown>>,
  resolve: (file: string) => string,
): Record<string, { found?: string; problem?: string }> {
  const out: Record<string, { found?: string; problem?: string }> = {}
  for (const name of names) {
    const command = (values[name] as { command?: unknown } | undefined)?.command
    const first: unknown = Array.isArray(command)
      ? (command as unknown[])[0]
      : typeof command === 'string'
        ? command.trim().split(/\s+/)[0]
        : undefined
    if (typeof first !== 'string' || first === '') continue
    try {
      const found = resolve(first)
      accessSync(found, constants.X_OK)
      out[name] = { found: first === found ? found : `${found} (${name}.command: ${first})` }
    } catch (error) {
      const e = error as NodeJS.ErrnoException
      const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'not executable' : e.message
      out[name] = { problem: `${name}.command ${first}: ${why}` }
    }
  }
  return out
}
