import { chmod, lstat, mkdir, readFile, readdir, rm, rmdir, stat } from 'node:fs/promises'
import { readlinkSync } from 'node:fs'
import path from 'node:path'
import { DriftcoreError, projectRoots, resolveWithin, writeFileAtomic, type ToolContext } from 'driftcore/api'
import { isWithin } from '../paths/confine.js'
import { setImmediate as turn } from 'node:timers/promises'
import { IDENTITY, sandboxGit, type GitRunner } from './git.js'
import {
  blobId,
  buildTrees,
  commitBytes,
  readRegularFile,
  writeLooseObject,
  type TreeLeaf,
} from './git-objects.js'
import { readMarker, requireSandbox, type SandboxLayout, type SandboxMarker } from './layout.js'
import { formatIndex, readPlainIndex, sameEntry } from './git-index.js'
import { writeManifest, type SnapshotManifest } from './manifest.js'
import {
  formatRecord,
  isRacy,
  readStatCache,
  stampSite,
  statPrefix,
  toCached,
  writeStatCache,
  type CachedEntry,
} from './stat-cache.js'
import {
  copyTree,
  digestEntry,
  foldTree,
  gitMode,
  scanTree,
  type ScannedEntry,
  type TreeEntry,
} from './tree.js'

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
  let entries: Pick<TreeEntry, 'path' | 'type'>[]
  if (source !== undefined) {
    // An empty site folder (checked above) is taken away so the copy can create it.
    await rmdir(layout.site).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error
    })
    await mkdir(path.dirname(layout.site), { recursive: true })
    entries = copyTree(source, layout.site, (name) => name === '.git')
  } else {
    await mkdir(layout.site, { recursive: true })
    entries = await scanTree(layout.site)
  }
  refuseUnrecordable(entries)
  await mkdir(layout.state, { recursive: true })
  const git = sandboxGit(ctx, layout)
  await git.run(['init', '--quiet'])
  await writeFileAtomic(path.join(layout.gitDir, 'info', 'attributes'), ATTRIBUTES)
  await writeFileAtomic(path.join(layout.gitDir, 'info', 'exclude'), '')
  await pointHead(layout)
  const marker: SandboxMarker = { version: 1, created_at: new Date().toISOString(), from: source ?? null }
  await writeFileAtomic(layout.marker, `${JSON.stringify(marker, null, 2)}\n`)
  return {
    path: layout.site,
    from: marker.from,
    files: entries.filter((e) => e.type === 'file').length,
    created_at: marker.created_at,
  }
}

const SNAPSHOT_REF = 'refs/driftcore/snapshot'

// HEAD names the snapshot ref, so one `git commit` writes the tree, the commit and the ref.
async function pointHead(layout: SandboxLayout): Promise<void> {
  const head = path.join(layout.gitDir, 'HEAD')
  const want = `ref: ${SNAPSHOT_REF}\n`
  if ((await readFile(head, 'utf8').catch(() => '')) !== want) await writeFileAtomic(head, want)
}

/**
 * Records the site as it is now: a git commit of everything (ignored files too) plus a manifest
 * with its tree hash. Only entries whose stat differs from the stat cache (or that are racy) are
 * read; git's index must then hold exactly the blob ids just computed, so an edit git's own
 * one-second stat check missed is added again, never committed stale.
 */
export async function takeSnapshot(ctx: ToolContext, layout: SandboxLayout): Promise<SnapshotManifest> {
  await requireSandbox(layout)
  const cache = readStatCache(layout)
  const known = cache?.records ?? new Map<string, string>()
  const cacheStamp = cache?.stamp ?? 0
  const stamp = stampSite(layout.site)
  const entries = await scanTree(layout.site)
  refuseUnrecordable(entries)
  const picture: CachedEntry[] = []
  const records = new Map<string, string>()
  for (const [index, entry] of entries.entries()) {
    const record = known.get(entry.path)
    const digest = knownDigest(record, entry, cacheStamp)
    const cached = toCached(entry, digest ?? digestEntry(layout.site, entry))
    picture.push(cached)
    // An unchanged entry's record is the same text: kept, not formatted again.
    records.set(entry.path, digest && record !== undefined ? record : formatRecord(cached))
    if ((index + 1) % 256 === 0) await turn()
  }
  const tree = foldTree(picture)
  const git = sandboxGit(ctx, layout)
  const parent = cache ? await snapshotRef(layout) : undefined
  const commit =
    (parent && (await commitChanges(layout, picture, parent))) ?? (await commitAll(git, layout, picture))
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
  await writeStatCache(layout, { commit, tree_hash: tree.hash, stamp, records })
  return manifest
}

// An entry's digests from its cache record when its stat is the one recorded there and not racy
// (any snapshot's record: equal stat means equal bytes); undefined when it must be read.
function knownDigest(record: string | undefined, entry: ScannedEntry, stamp: number) {
  if (record === undefined || entry.type === 'dir' || entry.type === 'other') return undefined
  const prefix = statPrefix(entry)
  if (!record.startsWith(prefix) || isRacy(entry, stamp)) return undefined
  const space = record.indexOf(' ', prefix.length)
  const digest = record.slice(prefix.length, space)
  const oid = record.slice(space + 1)
  // Lengths only: the file's own digest already vouches for its text, and a record forged with
  // that digest recomputed is the documented limit, which no check of the record's form removes.
  if (space < 0 || oid.length !== 40) return undefined
  if (entry.type === 'symlink') return { digest: Buffer.from(digest, 'hex').toString(), oid }
  return digest.length === 64 ? { digest, oid } : undefined
}

// The whole site through git: `git add` (its own stat pass over every entry, hashing what its
// one-second check cannot vouch for), a check of the index against what was just read (an edit git
// skipped is added again), and `git commit`. The first snapshot, and any the fast path declines.
async function commitAll(
  git: GitRunner,
  layout: SandboxLayout,
  picture: readonly CachedEntry[],
): Promise<string> {
  await git.run(['add', '--all', '--force', '--', '.'])
  const stale = await staleInIndex(git, picture)
  if (stale.length > 0) {
    await git.run(
      [
        '--literal-pathspecs',
        'add',
        '--renormalize',
        '--force',
        '--pathspec-from-file=-',
        '--pathspec-file-nul',
      ],
      { input: stale.join('\0') },
    )
    const still = await staleInIndex(git, picture)
    if (still.length > 0) {
      throw new DriftcoreError(
        'conflict',
        `the sandbox changed while the snapshot was taken (${still.slice(0, 5).join(', ')})`,
        {
          hint: 'let whatever is writing in the site finish, then take the snapshot again',
          details: { paths: still },
        },
      )
    }
  }
  await pointHead(layout)
  await git.run(['commit', '--quiet', '--allow-empty', '--no-verify', '-m', 'driftcore sandbox snapshot'])
  const commit = await snapshotRef(layout)
  if (commit) return commit
  return (await git.run(['rev-parse', '--verify', SNAPSHOT_REF])).trim()
}

/**
 * Only what changed, without a git process: git's index file, read directly, lists every entry,
 * and each whose mode or blob id is not the one just computed is the work. Those blobs are
 * written here as loose objects, from one read whose id must be the one the walk computed (else
 * the file changed while we looked: the whole path, which reports it). The trees are computed
 * from the picture itself (`buildTrees`, as `git write-tree` computes them; each written unless
 * an object of the same bytes is already there), then the commit, then a new index holding
 * exactly the picture with its cache-tree (entries that did not change keep git's stat data),
 * then the ref. So the commit, the index and the tree hash describe the same bytes by
 * construction, and nothing walks the site a second time (`git add` and `git commit` each stat
 * every entry again). Returns undefined for the whole path: an index that is not plain (see
 * readPlainIndex), a repository that is not sha1, or an entry that changed under us.
 */
async function commitChanges(
  layout: SandboxLayout,
  picture: readonly CachedEntry[],
  parent: string,
): Promise<string | undefined> {
  // Only sha1 repositories (what `git init` makes here): the objects below are written as such.
  if (parent.length !== 40) return undefined
  const indexFile = path.join(layout.gitDir, 'index')
  const index = readPlainIndex(indexFile)
  if (!index) return undefined
  const leaves: TreeLeaf[] = []
  const kept: number[] = []
  const scratch = Buffer.alloc(20)
  for (const e of picture) {
    if (e.type === 'dir') continue
    const leaf: TreeLeaf = { path: e.path, mode: indexMode(e), oid: e.oid }
    const start = sameEntry(index, leaf, scratch)
    leaf.changed = start < 0
    leaves.push(leaf)
    kept.push(start)
    if (start >= 0) continue
    // Read once, hashed and written from the same buffer: a file that changed since the walk read
    // it gives another id.
    const bytes = entryBytes(path.join(layout.site, e.path), e.type)
    if (!bytes || blobId(bytes) !== e.oid) return undefined
    writeLooseObject(layout.gitDir, 'blob', bytes)
  }
  const trees = buildTrees(leaves, index.trees)
  // Only the trees on the way to a change were hashed: each is written, or checked where an
  // object of that name exists. The others are the old cache-tree's, written before (by git or
  // by the previous snapshot), trusted as git's write-tree trusts them.
  for (const tree of trees.objects) writeLooseObject(layout.gitDir, 'tree', tree.content)
  const commit = writeLooseObject(
    layout.gitDir,
    'commit',
    commitBytes(trees.root, parent, IDENTITY, 'driftcore sandbox snapshot', new Date()),
  )
  await writeFileAtomic(indexFile, formatIndex(leaves, kept, index, trees.cacheTree), { sync: false })
  await pointHead(layout)
  await writeFileAtomic(path.join(layout.gitDir, SNAPSHOT_REF), `${commit}\n`)
  return commit
}

// What git stores for an entry: a file's bytes (never through a link), a symlink's target.
function entryBytes(file: string, type: CachedEntry['type']): Buffer | undefined {
  if (type === 'file') return readRegularFile(file)
  try {
    return type === 'symlink' ? readlinkSync(file, { encoding: 'buffer' }) : undefined
  } catch {
    return undefined
  }
}

function indexMode(e: Pick<CachedEntry, 'type' | 'mode'>): TreeLeaf['mode'] {
  return e.type === 'symlink' ? '120000' : e.mode & 0o100 ? '100755' : '100644'
}

// Paths whose index entry is not the blob (or mode) just read from disk, plus index entries
// for paths that are not there: what `git add` trusted its stat cache about, wrongly.
async function staleInIndex(git: GitRunner, picture: readonly CachedEntry[]): Promise<string[]> {
  const listed = await git.run(['ls-files', '--stage', '-z'])
  const want = new Map<string, string>()
  for (const e of picture) {
    if (e.type === 'dir') continue
    const mode = e.type === 'symlink' ? '120000' : e.mode & 0o100 ? '100755' : '100644'
    want.set(e.path, `${mode} ${e.oid}`)
  }
  const stale: string[] = []
  for (const line of listed.split('\0')) {
    if (line.length === 0) continue
    const tab = line.indexOf('\t')
    const rel = line.slice(tab + 1)
    const [mode, oid] = line.slice(0, tab).split(' ')
    if (want.get(rel) !== `${mode} ${oid}`) stale.push(rel)
    want.delete(rel)
  }
  return [...stale, ...want.keys()]
}

// The snapshot ref as a loose ref (how git commit and we write it), or undefined.
async function snapshotRef(layout: SandboxLayout): Promise<string | undefined> {
  const loose = await readFile(path.join(layout.gitDir, SNAPSHOT_REF), 'utf8').catch(() => '')
  return /^[0-9a-f]{40,64}\n$/.test(loose) ? loose.trim() : undefined
}

// git cannot record a nested .git or a special file, so a snapshot holding one could not be
// restored exactly: refuse it up front rather than promise a rollback we cannot keep.
function refuseUnrecordable(entries: readonly Pick<TreeEntry, 'path' | 'type'>[]): void {
  const bad = entries.filter(
    (e) => e.type === 'other' || (e.path.includes('.git') && e.path.split('/').includes('.git')),
  )
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
export async function unlock(dir: string): Promise<void> {
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
export async function clearUnrecordable(site: string, entries: readonly TreeEntry[]): Promise<void> {
  for (const entry of entries) {
    const gitFolder = path.basename(entry.path) === '.git'
    if (gitFolder || entry.type === 'other')
      await rm(path.join(site, entry.path), { recursive: true, force: true })
  }
}
