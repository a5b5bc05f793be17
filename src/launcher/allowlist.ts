import { accessSync, constants } from 'node:fs'
import path from 'node:path'
import { DriftcoreError } from '../errors/driftcore-error.js'

/** Finds an executable on PATH, as a shell would, without a shell. */
export function which(name: string, pathVar = process.env.PATH ?? ''): string | undefined {
  for (const dir of pathVar.split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

/**
 * Turns a requested executable into an absolute path, or refuses it. A bare name must be on
 * the allowlist by name; a path must resolve to an allowlisted path (entries with a slash are
 * relative to the project). Nothing else runs.
 */
export function resolveAllowed(
  file: string,
  allowlist: readonly string[],
  root: string,
  pathVar: string,
): string {
  const refuse = () =>
    new DriftcoreError('forbidden', `executable "${file}" is not on launcher.allowlist`, {
      hint: `allowed: ${allowlist.join(', ') || '(none)'}; add it with \`driftcore config set launcher.allowlist\``,
      details: { executable: file },
    })
  if (!file.includes('/')) {
    if (!allowlist.includes(file)) throw refuse()
    const found = which(file, pathVar)
    if (!found) {
      throw new DriftcoreError(
        'unavailable',
        `executable "${file}" is allowlisted but not installed (not on PATH)`,
        {
          hint: 'install it, or check `driftcore doctor`',
        },
      )
    }
    return found
  }
  const wanted = path.resolve(root, file)
  const allowed = allowlist.filter((e) => e.includes('/')).map((e) => path.resolve(root, e))
  if (!allowed.includes(wanted)) throw refuse()
  return wanted
}
