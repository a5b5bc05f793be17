import { chmod, cp, lstat, mkdir, readdir, rm, rmdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError, projectRoots, resolveWithin, writeFileAtomic, type ToolContext } from 'driftcore'
import { isWithin } from '../paths/confine.js'
import { sandboxGit } from './git.js'
import { openSite, readMarker, requireSandbox, type SandboxLayout, type SandboxMarker } from './layout.js'
import { requireManifest, writeManifest, type SnapshotManifest } from './manifest.js'
import { gitMode, hashTree, walkTree, type TreeEntry } from './tree.js'

// Highest-precedence attributes: whatever .gitattributes the site carries, content goes in and
// comes out byte for byte (no eol conversion, filters, ident or re-encoding).
const ATTRIBUTES = '* -text -eol -filter -ident -working-tree-encoding\n'

export interface InitResult {
  path: string
  from: string | null
  files: number
  created_at: string
}

/**
 * Whether init can work, without changing anything: no sandbox yet, and a `from` that is a
 * folder where tools may read, apart from the sandbox, copied into an empty site. Returns the
 * resolved source. It is the tool's precheck too, so a doomed init asks nobody to approve it.
 */
export async function checkInit(
  env: Pick<ToolContext, 'paths' | 'config'>,
  layout: SandboxLayout,
  from?: string,
): Promise<string | undefined> {
  if (await readMarker(layout)) {
    throw new DriftcoreError('conflict', `a sandbox already exists at ${layout.site}`, {
      hint: 'go back to its snapshot with `driftcore sandbox reset`, or delete .driftcore/sandbox and the site to start over',
      details: { path: layout.site },
    })
  }
  if (from === undefined) return undefined
  // What is copied in can be read back through the sandbox: it must lie where tools may read.
  const source =
    (await resolveWithin(from, {
      base: layout.root,
      what: 'sandbox.init from',
      ...projectRoots(env.paths, env.config),
    })) ?? path.resolve(layout.root, from)
  const info = await stat(source).catch(() => undefined)
  if (!info?.isDirectory())
    throw new DriftcoreError('not_found', `--from ${from}: no such folder`, { details: { from: source } })
  if (isWithin(layout.site, source) || isWithin(source, layout.site)) {
    throw new DriftcoreError('invalid_input', `--from ${from} overlaps the sandbox at ${layout.site}`, {
      hint: 'copy the site from a folder beside the sandbox (e.g. --from ../site), or set sandbox.path outside it',
      details: { from: source },
    })
  }
  const existing = await readdir(layout.site).catch(() => [])
  if (existing.length > 0) {
    throw new DriftcoreError(
      'conflict',
      `${layout.site} is not empty; init --from copies into an empty folder`,
      {
        hint: 'remove it, or run init without --from to adopt it as it is',
      },
    )
  }
  return source
}

/** Creates the sandbox: copies `from` (without .git folders) into the site, or adopts the folder there. */
export async function initSandbox(
  ctx: ToolContext,
  layout: SandboxLayout,
  from?: string,
): Promise<InitResult> {
  const source = await checkInit(ctx, layout, from)
  await ctx.beginEffects()
  if (source !== undefined) {
    // An empty site folder (checked above) is taken away so the copy can create it.
    await rmdir(layout.site).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error
    })
    await cp(source, layout.site, {
      recursive: true,
      verbatimSymlinks: true,
      errorOnExist: true,
      force: false,
      filter: (src) => path.basename(src) !== '.git',
    })
  } else {
    await mkdir(layout.site, { recursive: true })
  }
  const entries = await walkTree(layout.site)
  refuseUnrecordable(entries)
  await mkdir(layout.state, { recursive: true })
  const git = sandboxGit(ctx, layout)
  await git.run(['init', '--quiet'])
  await writeFileAtomic(path.join(layout.gitDir, 'info', 'attributes'), ATTRIBUTES)
  await writeFileAtomic(path.join(layout.gitDir, 'info', 'exclude'), '')
  const marker: SandboxMarker = { version: 1, created_at: new Date().toISOString(), from: source ?? null }
  await writeFileAtomic(layout.marker, `${JSON.stringify(marker, null, 2)}\n`)
  return {
    path: layout.site,
    from: marker.from,
    files: entries.filter((e) => e.type === 'file').length,
    created_at: marker.created_at,
  }
}

/** Records the site as it is now: a git commit of everything (ignored files too) plus a manifest with its tree hash. */
export async function takeSnapshot(ctx: ToolContext, layout: SandboxLayout): Promise<SnapshotManifest> {
  await requireSandbox(layout)
  const entries = await walkTree(layout.site)
  refuseUnrecordable(entries)
  const tree = await hashTree(layout.site, entries)
  const git = sandboxGit(ctx, layout)
  await git.run(['add', '--all', '--force', '--', '.'])
  const treeId = (await git.run(['write-tree'])).trim()
  const parent = (
    await git.run(['rev-parse', '--verify', '--quiet', 'refs/driftcore/snapshot']).catch(() => '')
  ).trim()
  const commit = (
    await git.run([
      'commit-tree',
      treeId,
      '-m',
      'driftcore sandbox snapshot',
      ...(parent ? ['-p', parent] : []),
    ])
  ).trim()
  await git.run(['update-ref', 'refs/driftcore/snapshot', commit])
  const manifest: SnapshotManifest = {
    version: 1,
    commit,
    created_at: new Date().toISOString(),
    ...tree,
    empty_dirs: entries.filter((e) => e.type === 'dir' && e.empty).map((e) => e.path),
    modes: Object.fromEntries(
      entries.filter((e) => e.type !== 'symlink' && e.mode !== gitMode(e)).map((e) => [e.path, e.mode]),
    ),
  }
  await writeManifest(layout, manifest)
  return manifest
}

export interface ResetResult {
  commit: string
  tree_hash: string
  /** Whether the site already matched the snapshot before the reset. */
  was_clean: boolean
  files: number
}

/**
 * Puts the site back exactly as the snapshot recorded it: tracked, untracked and ignored files,
 * symlinks, empty folders and permission bits. Proved by recomputing the tree hash; a mismatch
 * is an integrity error, never a silent success.
 */
export async function resetSandbox(ctx: ToolContext, layout: SandboxLayout): Promise<ResetResult> {
  await requireSandbox(layout)
  const manifest = await requireManifest(layout)
  await unlock(layout.site)
  const before = await walkTree(layout.site)
  const now = await hashTree(layout.site, before)
  if (now.hash === manifest.hash) {
    return { commit: manifest.commit, tree_hash: now.hash, was_clean: true, files: now.files }
  }
  await clearUnrecordable(layout.site, before)
  const git = sandboxGit(ctx, layout)
  await git.run(['reset', '--quiet', manifest.commit])
  await git.run(['clean', '-ffdxq'])
  await git.run(['reset', '--quiet', '--hard', manifest.commit])
  // Through the site folder: a recorded empty folder is never created beyond a symlink.
  const site = await openSite(layout)
  for (const dir of manifest.empty_dirs) await site.mkdir(dir)
  const restored = await walkTree(layout.site)
  for (const entry of restored) {
    if (entry.type === 'symlink') continue
    const want = manifest.modes[entry.path] ?? gitMode(entry)
    if (entry.mode === want) continue
    await chmod(path.join(layout.site, entry.path), want)
    entry.mode = want
  }
  const after = await hashTree(layout.site, restored)
  if (after.hash !== manifest.hash) {
    throw new DriftcoreError(
      'integrity',
      `after reset the sandbox tree hash is ${after.hash}, not the snapshot's ${manifest.hash}`,
      {
        hint: 'see what differs with `driftcore sandbox diff`; take a new snapshot once the site is as it should be',
        details: { expected: manifest.hash, actual: after.hash },
      },
    )
  }
  return { commit: manifest.commit, tree_hash: after.hash, was_clean: false, files: after.files }
}

// git cannot record a nested .git or a special file, so a snapshot holding one could not be
// restored exactly: refuse it up front rather than promise a rollback we cannot keep.
function refuseUnrecordable(entries: readonly TreeEntry[]): void {
  const bad = entries.filter((e) => e.type === 'other' || e.path.split('/').includes('.git'))
  if (bad.length === 0) return
  const listed = bad.slice(0, 5).map((e) => (e.type === 'other' ? `${e.path} (special file)` : e.path))
  throw new DriftcoreError(
    'invalid_input',
    `the sandbox holds what git cannot record: ${listed.join(', ')}`,
    {
      hint: 'remove them (a copied site needs no .git folders), then try again',
      details: { paths: bad.map((e) => e.path) },
    },
  )
}

// What ran in the sandbox may have left folders we cannot enter or files we cannot read. Open
// them up (owner only) before looking; reset puts the recorded permission bits back afterwards.
async function unlock(dir: string): Promise<void> {
  const info = await lstat(dir)
  if ((info.mode & 0o700) !== 0o700) await chmod(dir, (info.mode & 0o7777) | 0o700)
  const entries = await readdir(dir, { withFileTypes: true })
  await Promise.all(
    entries.map(async (entry) => {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) return unlock(full)
      if (!entry.isFile()) return
      const mode = (await lstat(full)).mode & 0o7777
      if ((mode & 0o400) === 0) await chmod(full, mode | 0o400)
    }),
  )
}

// Nested .git folders, which git will not clean, and fifos or sockets, which it does not see.
async function clearUnrecordable(site: string, entries: readonly TreeEntry[]): Promise<void> {
  for (const entry of entries) {
    const gitFolder = path.basename(entry.path) === '.git'
    if (gitFolder || entry.type === 'other')
      await rm(path.join(site, entry.path), { recursive: true, force: true })
  }
}
