import { realpath } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError, isWithin, type ConfinedDir, type EntryKind } from 'driftcore/api'
import type { GitRunner } from './git.js'
import type { SandboxLayout } from './layout.js'

/** What a path holds once the patch is applied: a file, a symlink and its target, or nothing. */
export type PatchedEntry = { kind: 'file' } | { kind: 'link'; target: string } | null

/**
 * What the patch would leave at each path it touches, learned from git itself rather than by
 * parsing the diff (a binary patch can carry a symlink too): the custom-modules folder as it is
 * now goes into a scratch index, the patch is applied to that index only, and the entries are
 * read back. Nothing in the site changes.
 */
export async function patchResult(
  git: GitRunner,
  layout: SandboxLayout,
  site: ConfinedDir,
  patch: string,
  paths: readonly string[],
): Promise<Map<string, PatchedEntry>> {
  const modules = `:(literal)${layout.modulesRel}`
  return git.withScratchIndex(async (indexFile) => {
    if ((await site.kind(layout.modulesRel)) !== 'absent') {
      await git.run(['add', '--all', '--force', '--', modules], { indexFile })
    }
    await git.run(['apply', '--cached', `--directory=${layout.modulesRel}`, '--whitespace=nowarn', '-'], {
      input: patch,
      indexFile,
    })
    const listed = await git.run(['ls-files', '--stage', '-z', '--', modules], { indexFile })
    const wanted = new Set(paths)
    const result = new Map<string, PatchedEntry>(paths.map((p) => [p, null]))
    const prefix = `${layout.modulesRel}/`
    for (const line of listed.split('\0')) {
      const match = /^(\d{6}) ([0-9a-f]+) \d\t(.*)$/s.exec(line)
      if (!match?.[3]?.startsWith(prefix)) continue
      const rel = match[3].slice(prefix.length)
      if (!wanted.has(rel)) continue
      if (match[1] !== '120000') {
        result.set(rel, { kind: 'file' })
        continue
      }
      const target = await git.run(['cat-file', 'blob', match[2]!])
      result.set(rel, { kind: 'link', target })
    }
    return result
  })
}

/** How to learn what a path below the custom-modules folder is (as the patch leaves it, or on disk). */
export type KindOf = (rel: string) => Promise<EntryKind>

/**
 * Refuses a symlink at `link` (relative to the custom-modules folder) whose target leaves the
 * folder. The target is followed one segment at a time, as the kernel would: a `..` may never
 * climb above the folder, and no segment on the way may be another symlink (a link to `.`
 * followed by `..` would otherwise step out while the text stays inside). Only the last segment
 * may be a link: one the patch leaves is checked by this same rule, one already on disk must
 * really resolve inside the folder.
 */
export async function checkLinkTarget(
  modulesReal: string,
  link: string,
  target: string,
  kindOf: KindOf,
  isChecked: (rel: string) => boolean,
): Promise<void> {
  const refuse = (reason: string) =>
    new DriftcoreError(
      'invalid_input',
      `the patch makes ${link} a symbolic link to "${target}", which ${reason}; links must stay inside the custom-modules folder`,
      {
        hint: 'point the link at a file or folder inside the custom-modules folder, by a relative path; nothing was changed',
        details: { path: link, target, reason },
      },
    )
  if (target.length === 0 || target.includes('\0')) throw refuse('is empty or not a path')
  let stack: string[]
  let parts: string[]
  if (path.posix.isAbsolute(target)) {
    const normal = path.posix.normalize(target)
    if (normal !== target.replace(/\/+$/, '') || !isWithin(normal, modulesReal)) {
      throw refuse('points outside the custom-modules folder')
    }
    stack = []
    parts = path.relative(modulesReal, normal).split(path.sep).filter(Boolean)
  } else {
    stack = link.split('/').slice(0, -1)
    parts = target.split('/')
  }
  for (const [index, part] of parts.entries()) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (stack.length === 0) throw refuse('points outside the custom-modules folder')
      stack.pop()
      continue
    }
    stack.push(part)
    const rel = stack.join('/')
    if ((await kindOf(rel)) !== 'link') continue
    const last = parts.slice(index + 1).every((p) => p === '' || p === '.')
    if (!last) throw refuse(`passes through another symbolic link (${rel})`)
    if (isChecked(rel)) continue
    const real = await realpath(path.join(modulesReal, rel)).catch(() => undefined)
    if (real === undefined || !isWithin(real, modulesReal)) {
      throw refuse(`ends at ${rel}, a symbolic link that does not resolve inside the folder`)
    }
  }
}
