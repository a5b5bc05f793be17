import path from 'node:path'
import { DriftcoreError, type ConfinedDir, type EntryKind, type ToolContext } from 'driftcore/api'
import { checkRelativePath } from '../paths/confine.js'
import { sandboxGit, type GitRunner } from './git.js'
import { openSite, requireSandbox, type SandboxLayout } from './layout.js'
import { checkLinkTarget, patchResult, type PatchedEntry } from './links.js'

export interface FileChange {
  path: string
  content?: string
  delete?: boolean
  executable?: boolean
}

export interface ApplyResult {
  written: string[]
  deleted: string[]
  patched: string[]
}

/**
 * Applies a change inside the custom-modules folder only: whole files (written or deleted) and/or
 * a unified diff whose paths are relative to that folder. Everything is checked before anything
 * is written, against the folder as the patch will leave it: paths, symlinks on the way, and
 * every symlink the patch creates (it must point inside the folder). The patch is checked with
 * `git apply --check` (all or nothing). After it is applied its links are checked again on
 * disk, and every file is written through the site folder without following a symlink, so a
 * link that appears in between cannot carry a write out either.
 */
export async function applyChange(
  ctx: ToolContext,
  layout: SandboxLayout,
  change: { files: FileChange[]; patch?: string },
): Promise<ApplyResult> {
  await requireSandbox(layout)
  const site = await openSite(layout)
  const inModules = (rel: string) => `${layout.modulesRel}/${rel}`
  const files: (FileChange & { rel: string; what: string })[] = []
  const seen = new Set<string>()
  for (const [index, file] of change.files.entries()) {
    const what = `files[${index}].path`
    const rel = checkRelativePath(file.path, what)
    if (seen.has(rel)) throw new DriftcoreError('invalid_input', `${what}: "${rel}" is given twice`)
    seen.add(rel)
    const existing = await kindOn(site, inModules(rel), what)
    if (existing === 'link') throw linkOnTheWay(what, inModules(rel))
    if (existing === 'dir')
      throw new DriftcoreError('invalid_input', `${what}: ${inModules(rel)} is a folder, not a file`)
    if (file.delete && existing === 'absent')
      throw new DriftcoreError(
        'not_found',
        `${what}: ${inModules(rel)} does not exist, so it cannot be deleted`,
      )
    files.push({ ...file, rel, what })
  }
  const git = sandboxGit(ctx, layout)
  const modulesReal = path.join(site.real, layout.modulesRel)
  let patched: string[] = []
  if (change.patch !== undefined) {
    patched = await checkPatch(git, layout, site, change.patch)
    const after = await patchResult(git, layout, site, change.patch, patched)
    await checkLinks(modulesReal, after, patchedKind(site, layout, after))
    for (const file of files) refuseThroughPatched(file, after)
  }

  const result: ApplyResult = { written: [], deleted: [], patched }
  if (change.patch !== undefined) {
    await git.run(['apply', `--directory=${layout.modulesRel}`, '--whitespace=nowarn', '-'], {
      input: change.patch,
    })
    await recheckLinks(git, layout, site, modulesReal, patched, change.patch)
  }
  for (const file of files) {
    if (file.delete) {
      await site.remove(inModules(file.rel))
      result.deleted.push(file.rel)
    } else {
      await site.writeFile(inModules(file.rel), file.content ?? '', {
        mode: file.executable ? 0o755 : 0o644,
        sync: false,
      })
      result.written.push(file.rel)
    }
  }
  return result
}

// What a path holds, with a symlink anywhere on the way reported as one (naming `what`).
async function kindOn(site: ConfinedDir, rel: string, what: string): Promise<EntryKind> {
  try {
    return await site.kind(rel)
  } catch (error) {
    if (error instanceof DriftcoreError && error.details.symlink) {
      throw linkOnTheWay(what, String(error.details.path))
    }
    throw error
  }
}

function linkOnTheWay(what: string, where: string): DriftcoreError {
  return new DriftcoreError(
    'invalid_input',
    `${what}: ${where} is a symbolic link; writes must stay inside the sandbox and never follow one`,
    {
      hint: 'replace the link with a real folder, or choose another path',
      details: { path: where, reason: 'symbolic link' },
    },
  )
}

// A file written or deleted below a path the patch turns into a link or a file would go
// through it: refused before anything changes.
function refuseThroughPatched(
  file: { rel: string; what: string },
  after: ReadonlyMap<string, PatchedEntry>,
): void {
  const parts = file.rel.split('/')
  for (let n = 1; n < parts.length; n++) {
    const prefix = parts.slice(0, n).join('/')
    const entry = after.get(prefix)
    if (!entry) continue
    throw new DriftcoreError(
      'invalid_input',
      `${file.what}: ${file.rel} goes through ${prefix}, which the patch makes a ${entry.kind === 'link' ? 'symbolic link' : 'file'}; writes never follow a link`,
      {
        hint: 'write the file at a path of real folders, or leave the link out of the patch; nothing was changed',
        details: { path: file.rel, through: prefix },
      },
    )
  }
}

// A path below the custom-modules folder as it will be once the patch is applied.
function patchedKind(site: ConfinedDir, layout: SandboxLayout, after: ReadonlyMap<string, PatchedEntry>) {
  return async (rel: string): Promise<EntryKind> => {
    if (after.has(rel)) return after.get(rel)?.kind ?? 'absent'
    for (const [p, entry] of after) if (entry && p.startsWith(`${rel}/`)) return 'dir'
    return diskKind(site, layout)(rel)
  }
}

function diskKind(site: ConfinedDir, layout: SandboxLayout) {
  return async (rel: string): Promise<EntryKind> =>
    site.kind(`${layout.modulesRel}/${rel}`).catch((error: unknown) => {
      // A link further up the way counts as a link: the walk refuses to pass through it.
      if (error instanceof DriftcoreError && error.details.symlink) return 'link' as const
      throw error
    })
}

async function checkLinks(
  modulesReal: string,
  after: ReadonlyMap<string, PatchedEntry>,
  kindOf: (rel: string) => Promise<EntryKind>,
): Promise<void> {
  const links = [...after].filter(
    (e): e is [string, { kind: 'link'; target: string }] => e[1]?.kind === 'link',
  )
  const checked = new Set(links.map(([rel]) => rel))
  for (const [rel, entry] of links) {
    await checkLinkTarget(modulesReal, rel, entry.target, kindOf, (r) => checked.has(r))
  }
}

// The same rule on disk, after the patch: git and the scratch index must not disagree. If they
// did, the patch is taken back out before the error.
async function recheckLinks(
  git: GitRunner,
  layout: SandboxLayout,
  site: ConfinedDir,
  modulesReal: string,
  patched: readonly string[],
  patch: string,
): Promise<void> {
  const { readlink } = await import('node:fs/promises')
  const kindOf = diskKind(site, layout)
  const after = new Map<string, PatchedEntry>()
  for (const rel of patched) {
    const kind = await kindOf(rel)
    after.set(
      rel,
      kind === 'link'
        ? { kind, target: await readlink(path.join(modulesReal, rel)) }
        : kind === 'absent'
          ? null
          : { kind: 'file' },
    )
  }
  try {
    await checkLinks(modulesReal, after, kindOf)
  } catch (error) {
    await git.attempt(['apply', '-R', `--directory=${layout.modulesRel}`, '--whitespace=nowarn', '-'], {
      input: patch,
    })
    throw error
  }
}

// git apply already refuses "..", .git and paths beyond a symlink; the paths it names are
// checked again here against the same rules as whole files, so both routes confine alike.
async function checkPatch(
  git: GitRunner,
  layout: SandboxLayout,
  site: ConfinedDir,
  patch: string,
): Promise<string[]> {
  const args = [`--directory=${layout.modulesRel}`, '-']
  const listed = await git.attempt(['apply', '--numstat', '-z', ...args], { input: patch })
  const check =
    listed.exitCode === 0 ? await git.attempt(['apply', '--check', ...args], { input: patch }) : listed
  if (check.exitCode !== 0) {
    throw new DriftcoreError(
      'invalid_input',
      `the patch does not apply: ${check.stderr.trim() || check.stdout.trim()}`,
      {
        hint: `paths in the patch are relative to ${layout.modulesRel}; nothing was changed`,
        details: { stderr: check.stderr.slice(-2000) },
      },
    )
  }
  const prefix = `${layout.modulesRel}/`
  const paths = numstatPaths(listed.stdout)
  for (const full of paths) {
    if (!full.startsWith(prefix))
      throw new DriftcoreError('invalid_input', `the patch touches ${full}, outside ${layout.modulesRel}`)
    const rel = checkRelativePath(full.slice(prefix.length), 'patch path')
    // The path itself may be a link (the patch changes the link, not what it points at);
    // a link on the way to it may not.
    const parent = rel.split('/').slice(0, -1).join('/')
    if (parent !== '') {
      const kind = await kindOn(site, `${prefix}${parent}`, 'patch path')
      if (kind === 'link') throw linkOnTheWay('patch path', `${prefix}${parent}`)
    } else if ((await kindOn(site, layout.modulesRel, 'patch path')) === 'link') {
      throw linkOnTheWay('patch path', layout.modulesRel)
    }
  }
  return paths.map((p) => p.slice(prefix.length))
}

// `--numstat -z` prints `added TAB deleted TAB path NUL`, or for a rename or copy an empty path
// followed by `old NUL new NUL`: both of those are paths the patch touches.
function numstatPaths(out: string): string[] {
  const fields = out.split('\0')
  const paths: string[] = []
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!
    if (field.length === 0) continue
    const name = field.split('\t')[2] ?? ''
    if (name.length > 0) paths.push(name)
    else paths.push(fields[++i] ?? '', fields[++i] ?? '')
  }
  return paths.filter((p) => p.length > 0)
}
