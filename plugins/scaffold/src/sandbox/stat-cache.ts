import { createHash } from 'node:crypto'
import { lstatSync, readFileSync, utimesSync } from 'node:fs'
import path from 'node:path'
import { DriftcoreError, writeFileAtomic } from 'driftcore/api'
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
 *
 * Records stay text until needed: a walk compares each entry's stat with the start of its
 * record (`statPrefix`) and parses (`parseRecord`) only the few that differ, so a clean reset
 * builds no object per entry.
 */
export interface StatCache {
  /** The snapshot these entries are (`snapshot.json`'s commit and tree hash). */
  commit: string
  tree_hash: string
  /** The site folder's ctime (ms, as lstat gives it) taken just before the entries' stats were read. */
  stamp: number
  /** Path → record (`T MODE SIZE INO MTIME CTIME DIGEST OID`), in path order. */
  records: Map<string, string>
}

// Format 2, one text file: a sha256 of everything after the first line; a header line
// `driftcore-stat-cache 2 COMMIT TREE_HASH STAMP COUNT`; then per entry its path and its record,
// each ended by a NUL (a path can hold anything but NUL): T one of f/d/l, MODE in octal, times as
// lstat's milliseconds, a folder's DIGEST and OID `-`, a symlink's DIGEST (its target) in hex.
// COUNT must match the records (and, for reset, the manifest's entries), so a cache cut at a
// record's end is not read as a smaller tree. Format 1 (JSON) is read as missing: the first reset
// after an upgrade takes the full path and writes format 2.
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
  const headerEnd = body.indexOf('\n')
  const header = body.slice(0, headerEnd).split(' ')
  if (headerEnd < 0 || header.length !== 6 || `${header[0]} ${header[1]}` !== MAGIC) return undefined
  const [, , commit = '', treeHash = '', stampText = '', countText = ''] = header
  const stamp = Number(stampText)
  const count = Number(countText)
  if (!HEX.test(commit) || !HEX.test(treeHash) || !Number.isFinite(stamp) || !Number.isSafeInteger(count))
    return undefined
  const parts = body.slice(headerEnd + 1).split('\0')
  if (parts.pop() !== '' || parts.length !== count * 2) return undefined
  const records = new Map<string, string>()
  for (let i = 0; i < parts.length; i += 2) {
    const rel = parts[i]!
    const record = parts[i + 1]!
    if (rel.length === 0 || UNTYPE[record[0]!] === undefined || record[1] !== ' ') return undefined
    records.set(rel, record)
  }
  if (records.size !== count) return undefined
  return { commit, tree_hash: treeHash, stamp, records }
}

/** How many entries of each type the cache holds, for a check against the manifest's counts. */
export function countTypes(cache: StatCache): { file: number; dir: number; symlink: number } {
  const counts = { file: 0, dir: 0, symlink: 0 }
  for (const record of cache.records.values()) counts[UNTYPE[record[0]!]!] += 1
  return counts
}

/** The start of the record an entry with this stat has: equal starts mean equal stats. */
export function statPrefix(seen: ScannedEntry): string {
  const type = seen.type === 'other' ? 'o' : TYPE[seen.type]
  return `${type} ${seen.mode.toString(8)} ${seen.size} ${seen.ino} ${seen.mtime} ${seen.ctime} `
}

/** One record as an entry, or undefined when it is malformed (the caller then trusts no cache). */
export function parseRecord(rel: string, record: string): CachedEntry | undefined {
  const fields = record.split(' ')
  if (fields.length !== 8) return undefined
  const type = UNTYPE[fields[0]!]
  const mode = /^[0-7]{1,5}$/.test(fields[1]!) ? parseInt(fields[1]!, 8) : NaN
  const [size, ino, mtime, ctime] = fields.slice(2, 6).map((f) => (f === '' ? NaN : Number(f)))
  if (!type || ![mode, size, ino, mtime, ctime].every((n) => Number.isFinite(n))) return undefined
  let digest = fields[6]!
  let oid = fields[7]!
  if (type === 'dir') {
    if (digest !== '-' || oid !== '-') return undefined
    digest = ''
    oid = ''
  } else {
    if (!HEX.test(digest) || !HEX.test(oid)) return undefined
    if (type === 'symlink') digest = Buffer.from(digest, 'hex').toString()
    else if (digest.length !== 64) return undefined
  }
  return { path: rel, type, mode, size: size!, ino: ino!, mtime: mtime!, ctime: ctime!, digest, oid }
}

/** An entry's record. */
export function formatRecord(e: CachedEntry): string {
  const digest =
    e.type === 'dir' ? '-' : e.type === 'symlink' ? Buffer.from(e.digest).toString('hex') : e.digest
  const oid = e.type === 'dir' ? '-' : e.oid
  return `${TYPE[e.type]} ${e.mode.toString(8)} ${e.size} ${e.ino} ${e.mtime} ${e.ctime} ${digest} ${oid}`
}

/** A cache of these entries (in path order). */
export function cacheOf(head: Omit<StatCache, 'records'>, entries: readonly CachedEntry[]): StatCache {
  return { ...head, records: new Map(entries.map((e) => [e.path, formatRecord(e)])) }
}

/** No fsync: a cache lost or torn in a crash fails its digest and is rebuilt. */
export async function writeStatCache(layout: SandboxLayout, cache: StatCache): Promise<void> {
  const parts: string[] = [
    `${MAGIC} ${cache.commit} ${cache.tree_hash} ${cache.stamp} ${cache.records.size}\n`,
  ]
  for (const [rel, record] of cache.records) parts.push(`${rel}\0${record}\0`)
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
