import { DriftcoreError, isWithin, relativeSegments, type ConfinedDir, type EntryKind } from 'driftcore/api'

export { isWithin }

/**
 * Checks a path that an agent, a person or a template supplied and that must stay below a
 * folder: relative, no `..`, no empty or `.` segments, no NUL, no `.git` (git cannot record it,
 * so reset could not undo it). Returns it with forward slashes. Symlinks are checked against the
 * disk by the confined folder every read and write goes through (`openSite`).
 */
export function checkRelativePath(raw: string, what: string): string {
  const segments = relativeSegments(raw, what)
  if (segments.some((s) => s.toLowerCase() === '.git')) {
    throw new DriftcoreError('invalid_input', `${what} "${raw}" names a .git folder`, {
      hint: 'give a path relative to the folder, without "..", e.g. my_module/src/Foo.php',
      details: { path: raw, reason: 'names a .git folder' },
    })
  }
  return segments.join('/')
}

/**
 * What `rel` (below the site) is now, refusing a symlink as the path itself or anywhere on the
 * way to it: a link must not carry a write out of the sandbox. Parts that do not exist yet are
 * fine; they are created as real folders.
 */
export async function assertNoSymlinks(site: ConfinedDir, rel: string, what: string): Promise<EntryKind> {
  let kind: EntryKind
  try {
    kind = await site.kind(rel)
  } catch (error) {
    if (error instanceof DriftcoreError && error.details.symlink)
      throw escape(what, String(error.details.path))
    throw error
  }
  if (kind === 'link') throw escape(what, site.path(rel))
  return kind
}

function escape(what: string, where: string): DriftcoreError {
  return new DriftcoreError(
    'invalid_input',
    `${what}: ${where} is a symbolic link; writes must stay inside the sandbox`,
    {
      hint: 'replace the link with a real folder, or choose another path',
      details: { path: where, reason: 'is a symbolic link' },
    },
  )
}
