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
 * lstat that last showed it unchanged, like git's index but with sub-microsecond times and every
 * permission bit. An entry whose stat still matches is taken as unchanged without reading it,
 * unless it is racy: its ctime or mtime is not before `stamp`, the moment the stats were taken
 * (a change in the same clock tick would leave the same stat behind).
 */
export interface StatCache {
  /** The snapshot these entries are (`snapshot.json`'s commit and tree hash). */
  commit: string
  tree_hash: string
  /** The site folder's ctime (ms, as lstat gives it) taken just before the entries' stats were read. */
  stamp: number
  entries: CachedEntry[]
}

// Format 2, one text file: a sha256 of everything after the first line; a header line
// `driftcore-stat-cache 2 COMMIT TREE_HASH STAMP`; then one record per entry, each ended by a NUL
// (a path can hold anything but NUL): `T MODE SIZE INO MTIME CTIME DIGEST OID PATH`, T one of
// f/d/l, MODE in octal, times as lstat's milliseconds, a folder's DIGEST and OID `-`, a symlink's
// DIGEST (its target) in hex. Format 1 (JSON) is read as missing, so the first reset after an
// upgrade takes the full path and writes format 2.
const FILE = 'stat-cache'
const MAGIC = 'driftcore-stat-cache 2'
const TYPE = { file: 'f', dir: 'd', symlink: 'l' } as const
const UNTYPE: Record<string, CachedEntry['type'] | undefined> = { f: 'file', d: 'dir', l: 'symlink' }
const HEX = /^[0-9a-f]+$/

function cachePath(layout: SandboxLayout): string {
  return path.join(layout.state, FILE)
}

/**
 * The cache, or undefined when it is missing, of another format, malformed, or fails its own
 * digest (an edited or torn file): the caller then takes the slow path, which reads everything
 * and writes a new one. A cache is never trusted into an answer it cannot prove.
 */
export function readStatCache(layout: SandboxLayout): StatCache | undefined {
  let text: string
  try {
    text = readFileSync(cachePath(layout), 'utf8')
  } catch {
    return undefined
  }
  if (text.indexOf('\n') !== 64) return undefined
  const body = text.slice(65)
  if (createHash('sha256').update(body).digest('hex') !== text.slice(0, 64)) return undefined
  return parseCache(body)
}

function parseCache(body: string): StatCache | undefined {
  const headerEnd = body.indexOf('\n')
  const header = body.slice(0, headerEnd).split(' ')
  if (headerEnd < 0 || header.length !== 5 || `${header[0]} ${header[1]}` !== MAGIC) return undefined
  const [, , commit = '', treeHash = '', stampText = ''] = header
  const stamp = Number(stampText)
  if (!HEX.test(commit) || !HEX.test(treeHash) || !Number.isFinite(stamp)) return undefined
  const entries: CachedEntry[] = []
  const records = body.slice(headerEnd + 1).split('\0')
  if (records.pop() !== '') return undefined
  for (const record of records) {
    const fields = record.split(' ')
    if (fields.length < 9) return undefined
    const type = UNTYPE[fields[0]!]
    const [mode, size, ino, mtime, ctime] = fields
      .slice(1, 6)
      .map((f, i) => (i === 0 ? parseInt(f, 8) : Number(f)))
    let digest = fields[6]!
    const oid = fields[7]!
    const rel = fields.length === 9 ? fields[8]! : fields.slice(8).join(' ')
    if (!type || rel.length === 0 || ![mode, size, ino, mtime, ctime].every((n) => Number.isFinite(n)))
      return undefined
    if (type === 'dir') {
      if (digest !== '-' || oid !== '-') return undefined
      digest = ''
    } else {
      if (!HEX.test(digest) || !HEX.test(oid)) return undefined
      if (type === 'symlink') digest = Buffer.from(digest, 'hex').toString()
    }
    entries.push({
      path: rel,
      type,
      mode: mode!,
      size: size!,
      ino: ino!,
      mtime: mtime!,
      ctime: ctime!,
      digest,
      oid: type === 'dir' ? '' : oid,
    })
  }
  return { commit, tree_hash: treeHash, stamp, entries }
}

/** No fsync: a cache lost or torn in a crash fails its digest and is rebuilt. */
export async function writeStatCache(layout: SandboxLayout, cache: StatCache): Promise<void> {
  const parts: string[] = [`${MAGIC} ${cache.commit} ${cache.tree_hash} ${cache.stamp}\n`]
  for (const e of cache.entries) {
    const digest =
      e.type === 'dir' ? '-' : e.type === 'symlink' ? Buffer.from(e.digest).toString('hex') : e.digest
    const oid = e.type === 'dir' ? '-' : e.oid
    parts.push(
      `${TYPE[e.type]} ${e.mode.toString(8)} ${e.size} ${e.ino} ${e.mtime} ${e.ctime} ${digest} ${oid} ${e.path}\0`,
    )
  }
  const body = parts.join('')
  const digest = createHash('sha256').update(body).digest('hex')
  await writeFileAtomic(cachePath(layout), `${digest}\n${body}`, { sync: false })
}

/**
 * Marks now on the site's own file system (its clock and timestamp granularity): touching the
 * folder's times sets its ctime, which is read back. Taken before the stats that go into a cache.
 */
export function stampSite(site: string): number {
  const info = lstatSync(site)
  utimesSync(site, info.atime, info.mtime)
  return lstatSync(site).ctimeMs
}

/** Whether an entry's stat, taken at or after `stamp`, could hide a change made in the same tick. */
// Times are lstat's milliseconds as doubles (about a quarter-microsecond apart today), not BigInt
// nanoseconds: the rounding keeps order, ties count as racy, and a later change's ctime can only
// round to the stamp or after it, so a cached entry that is not racy still differs from any
// later change. The doubles cost a third of the BigInt stats' garbage over a whole tree.
export function isRacy(entry: StatKey, stamp: number): boolean {
  return entry.ctime >= stamp || entry.mtime >= stamp
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
