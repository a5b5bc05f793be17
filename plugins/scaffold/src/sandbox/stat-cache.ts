import { createHash } from 'node:crypto'
import { lstatSync, readFileSync, utimesSync } from 'node:fs'
import path from 'node:path'
import { DriftcoreError, writeFileAtomic } from 'driftcore'
import type { SandboxLayout } from './layout.js'
import type { Digest, ScannedEntry, StatKey } from './tree.js'

/** One entry of the snapshot as it was last proved on disk: what the tree hash folds, and the stat that proved it. */
export interface CachedEntry extends StatKey, Digest {
  path: string
  type: 'file' | 'dir' | 'symlink'
  mode: number
  size: number
}

/**
 * The stat cache: the snapshot's entries (path order) with each one's content digests and the
 * lstat that last showed it unchanged, like git's index but to the nanosecond and with every
 * permission bit. An entry whose stat still matches is taken as unchanged without reading it,
 * unless it is racy: its ctime or mtime is not before `stamp`, the moment the stats were taken
 * (a change in the same clock tick would leave the same stat behind).
 */
export interface StatCache {
  version: 1
  /** The snapshot these entries are (`snapshot.json`'s commit and tree hash). */
  commit: string
  tree_hash: string
  /** The site folder's ctime (ns) taken just before the entries' stats were read. */
  stamp: string
  entries: CachedEntry[]
}

const FILE = 'stat-cache'
type Row = [string, 'f' | 'd' | 'l', number, number, string, string, string, string, string]
const TYPE = { file: 'f', dir: 'd', symlink: 'l' } as const
const UNTYPE = { f: 'file', d: 'dir', l: 'symlink' } as const

function cachePath(layout: SandboxLayout): string {
  return path.join(layout.state, FILE)
}

/**
 * The cache, or undefined when it is missing, of another version, or fails its own digest (an
 * edited or torn file): the caller then takes the slow path, which reads everything and writes a
 * new one. A cache is never trusted into an answer it cannot prove.
 */
export function readStatCache(layout: SandboxLayout): StatCache | undefined {
  let text: string
  try {
    text = readFileSync(cachePath(layout), 'utf8')
  } catch {
    return undefined
  }
  const newline = text.indexOf('\n')
  if (newline !== 64) return undefined
  const body = text.slice(65)
  if (createHash('sha256').update(body).digest('hex') !== text.slice(0, 64)) return undefined
  try {
    const parsed = JSON.parse(body) as Omit<StatCache, 'entries'> & { entries: Row[] }
    if (parsed.version !== 1 || !Array.isArray(parsed.entries)) return undefined
    const entries = parsed.entries.map(([p, t, mode, size, ino, mtime, ctime, digest, oid]): CachedEntry => ({
      path: p,
      type: UNTYPE[t],
      mode,
      size,
      ino,
      mtime,
      ctime,
      digest,
      oid,
    }))
    return { ...parsed, entries }
  } catch {
    return undefined
  }
}

/** No fsync: a cache lost or torn in a crash fails its digest and is rebuilt. */
export async function writeStatCache(layout: SandboxLayout, cache: StatCache): Promise<void> {
  const rows: Row[] = cache.entries.map((e) => [
    e.path,
    TYPE[e.type],
    e.mode,
    e.size,
    e.ino,
    e.mtime,
    e.ctime,
    e.digest,
    e.oid,
  ])
  const body = JSON.stringify({ ...cache, entries: rows })
  const digest = createHash('sha256').update(body).digest('hex')
  await writeFileAtomic(cachePath(layout), `${digest}\n${body}`, { sync: false })
}

/**
 * Marks now on the site's own file system (its clock and timestamp granularity): touching the
 * folder's times sets its ctime, which is read back. Taken before the stats that go into a cache.
 */
export function stampSite(site: string): string {
  const info = lstatSync(site, { bigint: true })
  utimesSync(site, info.atime, info.mtime)
  return lstatSync(site, { bigint: true }).ctimeNs.toString()
}

/** Whether an entry's stat, taken at or after `stamp`, could hide a change made in the same tick. */
export function isRacy(entry: StatKey, stamp: string): boolean {
  return notBefore(entry.ctime, stamp) || notBefore(entry.mtime, stamp)
}

// Nanosecond counts as decimal strings (no leading zeros): longer is later, else compare text.
// Cheaper than two BigInt parses per entry over a whole tree.
function notBefore(ns: string, stamp: string): boolean {
  return ns.length !== stamp.length ? ns.length > stamp.length : ns >= stamp
}

/** Whether lstat shows the entry exactly as cached: same type, bits, size, inode, mtime and ctime. */
export function sameStat(cached: CachedEntry, seen: ScannedEntry): boolean {
  return (
    cached.type === seen.type &&
    cached.mode === seen.mode &&
    cached.size === seen.size &&
    cached.ino === seen.ino &&
    cached.mtime === seen.mtime &&
    cached.ctime === seen.ctime
  )
}

export function toCached(seen: ScannedEntry, digest: Digest): CachedEntry {
  if (seen.type === 'other')
    throw new DriftcoreError('internal', `a special file (${seen.path}) has no place in the stat cache`)
  return {
    path: seen.path,
    type: seen.type,
    mode: seen.mode,
    size: seen.size,
    ino: seen.ino,
    mtime: seen.mtime,
    ctime: seen.ctime,
    digest: digest.digest,
    oid: digest.oid,
  }
}
