import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { ConfinedDir, DriftcoreError, relativeSegments, type ToolContext } from 'driftcore/api'
import type { FileChange } from './commit.js'

export interface FromDir {
  /** A folder relative to the project root: a plain project folder, or one under .driftcore/sandbox/. */
  path: string
  /** Where its files go in the repository (a folder relative to the repository root). */
  to: string
}

/** At most this many files come from one folder (the budgets still apply on the diff). */
const MAX_FILES = 5000

/**
 * The files of a project folder as `put` changes under `to`. Read through ConfinedDir: the
 * folder must be inside the project (of `.driftcore/` only the sandbox), no `..`, and a symlink
 * anywhere (on the way, inside, as the folder itself) is refused, never followed, so nothing
 * outside the project can be read into a commit. A `.git` inside is refused too.
 */
export async function changesFromDir(ctx: Pick<ToolContext, 'paths'>, from: FromDir): Promise<FileChange[]> {
  const segments = relativeSegments(from.path, 'from_dir.path')
  const to = relativeSegments(from.to, 'from_dir.to')
  const home = path.relative(ctx.paths.root, ctx.paths.home).split(path.sep)
  const underHome = home.every((s, i) => segments[i] === s)
  const sandbox = [...home, 'sandbox']
  if (underHome && !(segments.length > sandbox.length && sandbox.every((s, i) => segments[i] === s)))
    throw new DriftcoreError(
      'forbidden',
      `from_dir.path "${from.path}" is inside driftcore's own folder; of it only the sandbox (${sandbox.join('/')}/…) may be committed`,
      { hint: 'commit a folder of the sandbox or of the project itself', details: { path: from.path } },
    )
  if (segments.some((s) => s.toLowerCase() === '.git'))
    throw new DriftcoreError('invalid_input', `from_dir.path "${from.path}" is inside a .git folder`, {
      hint: 'name a folder of files, not a git folder',
    })
  // The project root is the confinement: the named folder is walked to from it, one plain
  // folder at a time, so a symlinked folder on the way (or as the folder) is refused.
  const project = await ConfinedDir.open(ctx.paths.root, { what: 'the project folder', code: 'forbidden' })
  const start = segments.join('/')
  const kind = await project.kind(start)
  if (kind === 'link')
    throw new DriftcoreError(
      'forbidden',
      `from_dir.path ${project.path(start)} is a symlink; it is not followed`,
      {
        hint: 'name the real folder',
        details: { path: from.path },
      },
    )
  if (kind !== 'dir')
    throw new DriftcoreError('not_found', `from_dir.path ${project.path(start)} is not a folder`, {
      details: { path: from.path },
    })
  const changes: FileChange[] = []
  const walk = async (rel: string[]): Promise<void> => {
    const here = [...segments, ...rel].join('/')
    if ((await project.kind(here)) !== 'dir')
      throw new DriftcoreError('conflict', `${project.path(here)} changed while it was read`, {
        hint: 'call again once nothing writes to the folder',
      })
    const entries = await readdir(project.path(here), { withFileTypes: true })
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const entry of entries) {
      const inner = [...rel, entry.name]
      const full = [...segments, ...inner].join('/')
      if (entry.name.toLowerCase() === '.git')
        throw new DriftcoreError(
          'invalid_input',
          `${project.path(full)} is a .git folder; it cannot be committed`,
          {
            details: { path: full },
          },
        )
      const what = await project.kind(full)
      if (what === 'link')
        throw new DriftcoreError(
          'forbidden',
          `${project.path(full)} is a symlink; from_dir follows none and commits none`,
          {
            hint: 'replace the link with the file itself, or leave it out of the folder',
            details: { path: full },
          },
        )
      if (what === 'dir') {
        await walk(inner)
        continue
      }
      if (what !== 'file')
        throw new DriftcoreError('invalid_input', `${project.path(full)} is not a file or folder`, {
          details: { path: full },
        })
      if (changes.length >= MAX_FILES)
        throw new DriftcoreError(
          'invalid_input',
          `from_dir.path "${from.path}" holds more than ${MAX_FILES} files`,
        )
      // readFile walks again from the project root without following a symlink (O_NOFOLLOW at the
      // end), so a file swapped for a link after the listing is refused, not read.
      const bytes = await project.readFile(full)
      changes.push({
        path: [...to, ...inner].join('/'),
        action: 'put',
        content_base64: bytes.toString('base64'),
      })
    }
  }
  await walk([])
  if (changes.length === 0)
    throw new DriftcoreError('invalid_input', `from_dir.path "${from.path}" has no files`, {
      details: { path: from.path },
    })
  return changes
}
