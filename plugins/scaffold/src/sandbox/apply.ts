import { lstat, mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError, writeFileAtomic, type ToolContext } from 'driftcore'
import { assertNoSymlinks, checkRelativePath } from '../paths/confine.js'
import { sandboxGit } from './git.js'
import { requireSandbox, type SandboxLayout } from './layout.js'

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
 * is written: paths, symlinks, and the patch (`git apply --check`, which is all-or-nothing).
 */
export async function applyChange(
  ctx: ToolContext,
  layout: SandboxLayout,
  change: { files: FileChange[]; patch?: string },
): Promise<ApplyResult> {
  await requireSandbox(layout)
  const files: (FileChange & { rel: string; full: string })[] = []
  const seen = new Set<string>()
  for (const [index, file] of change.files.entries()) {
    const what = `files[${index}].path`
    const rel = checkRelativePath(file.path, what)
    if (seen.has(rel)) throw new DriftcoreError('invalid_input', `${what}: "${rel}" is given twice`)
    seen.add(rel)
    await assertNoSymlinks(layout.site, layout.modulesDir, rel, what)
    const full = path.join(layout.modulesDir, rel)
    const existing = await lstat(full).catch(() => undefined)
    if (existing?.isDirectory())
      throw new DriftcoreError(
        'invalid_input',
        `${what}: ${layout.modulesRel}/${rel} is a folder, not a file`,
      )
    if (file.delete && !existing)
      throw new DriftcoreError(
        'not_found',
        `${what}: ${layout.modulesRel}/${rel} does not exist, so it cannot be deleted`,
      )
    files.push({ ...file, rel, full })
  }
  const git = sandboxGit(ctx, layout)
  const patched = change.patch === undefined ? [] : await checkPatch(git, layout, change.patch)

  const result: ApplyResult = { written: [], deleted: [], patched }
  if (change.patch !== undefined) {
    await git.run(['apply', `--directory=${layout.modulesRel}`, '--whitespace=nowarn', '-'], {
      input: change.patch,
    })
  }
  for (const file of files) {
    if (file.delete) {
      await rm(file.full)
      result.deleted.push(file.rel)
    } else {
      await mkdir(path.dirname(file.full), { recursive: true })
      await writeFileAtomic(file.full, file.content ?? '', {
        mode: file.executable ? 0o755 : 0o644,
        sync: false,
      })
      result.written.push(file.rel)
    }
  }
  return result
}

// git apply already refuses "..", .git and paths beyond a symlink; the paths it names are
// checked again here against the same rules as whole files, so both routes confine alike.
async function checkPatch(
  git: ReturnType<typeof sandboxGit>,
  layout: SandboxLayout,
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
    await assertNoSymlinks(layout.site, layout.modulesDir, rel, 'patch path')
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
