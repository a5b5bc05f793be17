import { lstat, realpath } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError } from 'driftcore'

/** True when `child` is `parent` or lies below it (both absolute). */
export function isWithin(child: string, parent: string): boolean {
  const rel = path.relative(parent, child)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

/**
 * Checks a path that an agent, a person or a template supplied and that must stay below a
 * folder: relative, no `..`, no empty or `.` segments, no NUL, no `.git` (git cannot record it,
 * so reset could not undo it). Returns it with forward slashes. Symlinks are checked separately,
 * against the disk, by `assertNoSymlinks`.
 */
export function checkRelativePath(raw: string, what: string): string {
  const refuse = (reason: string) =>
    new DriftcoreError('invalid_input', `${what} "${raw}" ${reason}`, {
      hint: 'give a path relative to the folder, without "..", e.g. my_module/src/Foo.php',
      details: { path: raw, reason },
    })
  if (raw.length === 0) throw refuse('is empty')
  if (raw.includes('\0')) throw refuse('contains a NUL byte')
  if (path.posix.isAbsolute(raw) || path.win32.isAbsolute(raw)) throw refuse('is absolute')
  const segments = raw.split(/[\\/]/)
  if (segments.includes('..')) throw refuse('climbs out with ".."')
  if (segments.some((s) => s === '' || s === '.')) throw refuse('has an empty or "." segment')
  if (segments.some((s) => s.toLowerCase() === '.git')) throw refuse('names a .git folder')
  return segments.join('/')
}

/**
 * Refuses a write whose target, or any folder on the way to it below `base`, is a symlink, and a
 * `base` whose real location is not below `container`: a link must not carry a write out of
 * the sandbox. Parts that do not exist yet are fine; they are created as real folders.
 */
export async function assertNoSymlinks(
  container: string,
  base: string,
  rel: string,
  what: string,
): Promise<void> {
  const realContainer = await realpath(container)
  const realBase = await realpath(base).catch(() => undefined)
  if (realBase !== undefined && !isWithin(realBase, realContainer)) {
    throw escape(what, base, `resolves to ${realBase}, outside ${realContainer}`)
  }
  let current = container
  for (const segment of [
    ...path.relative(container, base).split(path.sep).filter(Boolean),
    ...rel.split('/'),
  ]) {
    current = path.join(current, segment)
    const info = await lstat(current).catch(() => undefined)
    if (!info) return
    if (info.isSymbolicLink()) throw escape(what, current, 'is a symbolic link')
  }
}

function escape(what: string, where: string, reason: string): DriftcoreError {
  return new DriftcoreError(
    'invalid_input',
    `${what}: ${where} ${reason}; writes must stay inside the sandbox`,
    {
      hint: 'replace the link with a real folder, or choose another path',
      details: { path: where, reason },
    },
  )
}
