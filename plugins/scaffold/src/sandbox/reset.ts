import { chmod, lstat, rm } from 'node:fs/promises'
import { lstatSync } from 'node:fs'
import path from 'node:path'
import { DriftcoreError, type ToolContext } from 'driftcore/api'
import { sandboxGit } from './git.js'
import { openSite, requireSandbox, type SandboxLayout } from './layout.js'
import { requireManifest, type SnapshotManifest } from './manifest.js'
import { clearUnrecordable, unlock } from './snapshot.js'
import {
  cacheOf,
  countTypes,
  formatRecord,
  isRacy,
  parseRecord,
  readStatCache,
  stampSite,
  statPrefix,
  toCached,
  writeStatCache,
  type CachedEntry,
  type StatCache,
} from './stat-cache.js'
import { digestAll, digestEntry, foldTree, gitMode, scanTree, scanned, type ScannedEntry } from './tree.js'

const LETTER = { file: 'f', dir: 'd', symlink: 'l', other: 'o' } as const

export interface ResetResult {
  commit: string
  tree_hash: string
  /** Whether the site already matched the snapshot before the reset. */
  was_clean: boolean
  files: number
  /** How the result was proved: the stat cache plus a read of every entry that changed, or a read of every file. */
  proof: 'stat' | 'hash'
}

/**
 * Puts the site back exactly as the snapshot recorded it: tracked, untracked and ignored files,
 * symlinks, empty folders and permission bits. The fast path compares every entry's lstat with
 * the stat cache, rewrites only what differs and reads back only that; `verify`, or a cache that
 * is missing, edited or of another snapshot, takes the full path, which trusts neither the cache
 * nor git's index and recomputes the tree hash over every file. A mismatch is an integrity error.
 */
export async function resetSandbox(
  ctx: ToolContext,
  layout: SandboxLayout,
  options: { verify?: boolean } = {},
): Promise<ResetResult> {
  await requireSandbox(layout)
  const manifest = await requireManifest(layout)
  if (!options.verify) {
    const cache = readStatCache(layout)
    if (cache && cache.commit === manifest.commit && cache.tree_hash === manifest.hash) {
      const fast = await fastReset(ctx, layout, manifest, cache)
      if (fast) return fast
    }
  }
  return fullReset(ctx, layout, manifest)
}

// What the fast path found: every difference from the cache, classified.
interface Plan {
  /** Entries the snapshot lacks, or of the wrong type: removed whole. */
  remove: string[]
  /** Snapshot entries that are absent after the removals. */
  missing: CachedEntry[]
  /** Files and symlinks whose content differs (or cannot be read). */
  rewrite: CachedEntry[]
  /** Entries whose content matched but whose stat changed, or that were racy: only their stat is taken again. */
  restat: CachedEntry[]
  /** Folders, files and symlinks whose permission bits alone differ. */
  chmod: CachedEntry[]
}

async function fastReset(
  ctx: ToolContext,
  layout: SandboxLayout,
  manifest: SnapshotManifest,
  cache: StatCache,
): Promise<ResetResult | undefined> {
  // The cache's own digest and its snapshot's commit and hash were checked by the caller, and
  // its counts must be the manifest's; folding its 20k digests again would add a tenth to a clean
  // reset and catch nothing a forger of the cache could not also fake (the forgery the fast path
  // cannot see is a changed stat).
  const records = cache.records
  const counts = countTypes(cache)
  if (counts.file !== manifest.files || counts.dir !== manifest.dirs || counts.symlink !== manifest.symlinks)
    return undefined
  const seen = await scanTree(layout.site, {
    unlock: true,
    descend: (rel) => records.get(rel)?.[0] === 'd',
    sorted: false,
  })
  const plan = planReset(layout.site, records, seen, cache.stamp)
  if (!plan) return undefined
  const changed = plan.remove.length + plan.missing.length + plan.rewrite.length + plan.chmod.length > 0
  if (!changed && plan.restat.length === 0) {
    return {
      commit: manifest.commit,
      tree_hash: manifest.hash,
      was_clean: true,
      files: manifest.files,
      proof: 'stat',
    }
  }

  const site = await openSite(layout)
  // Folders on the way of a change must be writable while it is made; their bits come back last.
  const opened = await openFolders(layout.site, records, seen)
  if (!opened) return undefined
  for (const rel of plan.remove) await removeEntry(site, layout.site, rel)
  const missingDirs = plan.missing.filter((e) => e.type === 'dir')
  for (const dir of missingDirs) await site.mkdir(dir.path)
  const restore = [...plan.rewrite, ...plan.missing.filter((e) => e.type !== 'dir')]
  if (restore.length > 0) {
    // From the index, which the snapshot left and nothing since has written; what it gives is
    // read back below, so an index or object edited behind our back is caught, not trusted.
    const out = await sandboxGit(ctx, layout).attempt(['checkout-index', '--force', '-z', '--stdin'], {
      input: restore.map((e) => e.path).join('\0'),
    })
    if (out.exitCode !== 0) return undefined
  }
  const fixModes = [...restore, ...plan.chmod, ...missingDirs, ...opened]
  // Files first, then folders deepest first, so a read-only folder is closed after its contents.
  fixModes.sort(
    (a, b) => Number(a.type === 'dir') - Number(b.type === 'dir') || b.path.length - a.path.length,
  )
  for (const entry of fixModes) {
    if (entry.type === 'symlink') continue
    const now = lstatSync(path.join(layout.site, entry.path)).mode & 0o7777
    if (now !== entry.mode) await chmod(path.join(layout.site, entry.path), entry.mode)
  }

  // Prove it: every entry written or suspected is stat'ed and read again after the stamp, so a
  // change that lands later leaves a newer ctime than the one recorded.
  const newStamp = stampSite(layout.site)
  const proved = new Map<string, CachedEntry>()
  for (const entry of [...restore, ...plan.restat, ...plan.chmod, ...missingDirs, ...opened]) {
    if (proved.has(entry.path)) continue
    const now = scanned(entry.path, lstatSync(path.join(layout.site, entry.path)))
    if (now.type !== entry.type || now.mode !== entry.mode) return undefined
    const digest = entry.type === 'dir' ? { digest: '', oid: '' } : safeDigest(layout.site, now)
    if (!digest || digest.digest !== entry.digest) return undefined
    proved.set(entry.path, toCached(now, digest))
  }
  for (const [rel, entry] of proved) records.set(rel, formatRecord(entry))
  await writeStatCache(layout, { ...cache, stamp: newStamp, records })
  return {
    commit: manifest.commit,
    tree_hash: manifest.hash,
    was_clean: !changed,
    files: manifest.files,
    proof: 'stat',
  }
}

// Undefined when a record it needs is malformed: then no part of the cache is trusted.
function planReset(
  root: string,
  records: ReadonlyMap<string, string>,
  seen: readonly ScannedEntry[],
  stamp: number,
): Plan | undefined {
  const plan: Plan = { remove: [], missing: [], rewrite: [], restat: [], chmod: [] }
  const present: string[] = []
  for (const entry of seen) {
    const record = records.get(entry.path)
    if (record === undefined || record[0] !== LETTER[entry.type]) {
      plan.remove.push(entry.path)
      continue
    }
    present.push(entry.path)
    if (entry.type === 'dir') {
      if (record.startsWith(`d ${entry.mode.toString(8)} `)) continue
      const cached = parseRecord(entry.path, record)
      if (!cached) return undefined
      plan.chmod.push(cached)
      continue
    }
    // Equal start of record: equal type, bits, size, inode, mtime and ctime.
    if (record.startsWith(statPrefix(entry)) && !isRacy(entry, stamp)) continue
    const cached = parseRecord(entry.path, record)
    if (!cached) return undefined
    // Another size is other bytes: rewritten without reading what the agent left there.
    if (entry.type === 'file' && entry.size !== cached.size) {
      plan.rewrite.push(cached)
      continue
    }
    const digest = safeDigest(root, entry)
    if (!digest || digest.digest !== cached.digest) plan.rewrite.push(cached)
    else if (entry.mode !== cached.mode) plan.chmod.push(cached)
    else plan.restat.push(cached)
  }
  if (present.length < records.size) {
    const found = new Set(present)
    for (const [rel, record] of records) {
      if (found.has(rel)) continue
      const cached = parseRecord(rel, record)
      if (!cached) return undefined
      plan.missing.push(cached)
    }
  }
  return plan
}

// A file we cannot read (its read bit taken away) is simply rewritten.
function safeDigest(root: string, entry: ScannedEntry) {
  try {
    return digestEntry(root, entry)
  } catch {
    return undefined
  }
}

// Folders of the snapshot that cannot be entered or written now (chmod'ed, or recorded so):
// opened for the owner while the reset works; their recorded bits are put back at the end. The
// walk's own lstat says so (a folder it had to open to list is reported with the bits it found).
async function openFolders(
  root: string,
  records: ReadonlyMap<string, string>,
  seen: readonly ScannedEntry[],
): Promise<CachedEntry[] | undefined> {
  const opened: CachedEntry[] = []
  for (const entry of seen) {
    if (entry.type !== 'dir') continue
    const now = entry.mode
    if ((now & 0o700) === 0o700) continue
    const record = records.get(entry.path)
    if (record?.[0] !== 'd') continue
    const cached = parseRecord(entry.path, record)
    if (!cached) return undefined
    await chmod(path.join(root, entry.path), now | 0o700)
    opened.push(cached)
  }
  return opened
}

// Through the site folder (never following a link on the way); a locked folder is opened first.
async function removeEntry(
  site: Awaited<ReturnType<typeof openSite>>,
  root: string,
  rel: string,
): Promise<void> {
  try {
    await site.remove(rel, { recursive: true, force: true })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EACCES') throw error
    const info = await lstat(path.join(root, rel))
    if (!info.isDirectory()) throw error
    await unlock(path.join(root, rel))
    await site.remove(rel, { recursive: true, force: true })
  }
}

/**
 * The path that trusts nothing it did not just read: every file is hashed, git's index is
 * rebuilt from the snapshot's commit (so stat data edited into it cannot make git skip a file),
 * and the tree hash is recomputed over every file afterwards. It writes a new stat cache.
 */
async function fullReset(
  ctx: ToolContext,
  layout: SandboxLayout,
  manifest: SnapshotManifest,
): Promise<ResetResult> {
  await unlock(layout.site)
  const beforeStamp = stampSite(layout.site)
  const before = await scanTree(layout.site)
  const current = await digestAll(layout.site, before)
  if (foldTree(current).hash === manifest.hash) {
    await saveCache(layout, manifest, beforeStamp, current)
    return {
      commit: manifest.commit,
      tree_hash: manifest.hash,
      was_clean: true,
      files: manifest.files,
      proof: 'hash',
    }
  }
  await clearUnrecordable(layout.site, before)
  const git = sandboxGit(ctx, layout)
  await rm(path.join(layout.gitDir, 'index'), { force: true })
  await git.run(['reset', '--quiet', manifest.commit])
  await git.run(['clean', '-ffdxq'])
  await git.run(['reset', '--quiet', '--hard', manifest.commit])
  // Through the site folder: a recorded empty folder is never created beyond a symlink.
  const site = await openSite(layout)
  for (const dir of manifest.empty_dirs) await site.mkdir(dir)
  const restored = await scanTree(layout.site)
  for (const entry of [...restored].reverse()) {
    if (entry.type === 'symlink') continue
    const want = manifest.modes[entry.path] ?? gitMode(entry)
    if (entry.mode === want) continue
    await chmod(path.join(layout.site, entry.path), want)
  }
  const stamp = stampSite(layout.site)
  const after = await digestAll(layout.site, await scanTree(layout.site))
  const tree = foldTree(after)
  if (tree.hash !== manifest.hash) {
    throw new DriftcoreError(
      'integrity',
      `after reset the sandbox tree hash is ${tree.hash}, not the snapshot's ${manifest.hash} (${layout.manifest})`,
      {
        hint: `the snapshot's git data in ${layout.gitDir} may have been changed; see what differs with \`driftcore sandbox diff\`, and take a new snapshot once the site is as it should be`,
        details: { expected: manifest.hash, actual: tree.hash, file: layout.manifest },
      },
    )
  }
  await saveCache(layout, manifest, stamp, after)
  return { commit: manifest.commit, tree_hash: tree.hash, was_clean: false, files: tree.files, proof: 'hash' }
}

async function saveCache(
  layout: SandboxLayout,
  manifest: SnapshotManifest,
  stamp: number,
  entries: readonly (ScannedEntry & { digest: string; oid: string })[],
): Promise<void> {
  // A site holding what a snapshot cannot (fifos, nested .git) gets no cache: the full path again next time.
  if (entries.some((e) => e.type === 'other')) return
  await writeStatCache(
    layout,
    cacheOf(
      { commit: manifest.commit, tree_hash: manifest.hash, stamp },
      entries.map((e) => toCached(e, e)),
    ),
  )
}
