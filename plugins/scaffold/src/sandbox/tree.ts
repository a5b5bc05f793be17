import { createHash } from 'node:crypto'
import {
  chmodSync,
  constants,
  copyFileSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  type Stats,
} from 'node:fs'
import path from 'node:path'
import { setImmediate as turn } from 'node:timers/promises'

export type EntryType = 'file' | 'dir' | 'symlink' | 'other'

export interface TreeEntry {
  /** Relative to the root, with forward slashes. */
  path: string
  type: EntryType
  /** Permission bits (0 for symlinks). */
  mode: number
  /** Regular files: bytes. */
  size: number
  /** Folders: whether they hold anything. */
  empty: boolean
}

/**
 * What lstat said about an entry: equal stats mean the entry was not touched. Times are lstat's
 * milliseconds (doubles, finer than a microsecond); see `isRacy` for why that is enough.
 */
export interface StatKey {
  ino: number
  mtime: number
  ctime: number
}

export interface ScannedEntry extends TreeEntry, StatKey {}

export interface ScanOptions {
  /** Opens folders nothing can list (owner rwx) instead of failing; their recorded mode is the one found. */
  unlock?: boolean
  /** Whether to list a folder's entries (default: every folder). */
  descend?: (rel: string) => boolean
  /** Sort by path bytes (default true); a caller that only looks entries up by path skips it. */
  sorted?: boolean
}

// Sync calls run about ten times faster than their promise versions over tens of thousands of
// small entries (no thread-pool hop per lstat); the walk yields every so often so a server
// process keeps answering while it runs.
const YIELD_EVERY = 1024

/**
 * Every entry below `root`, without following symlinks, sorted by path bytes so the same tree
 * always lists in the same order. `.git` folders and special files are listed like anything else:
 * callers decide what to do about them.
 */
export async function scanTree(rootPath: string, options: ScanOptions = {}): Promise<ScannedEntry[]> {
  const root = path.resolve(rootPath)
  const entries: ScannedEntry[] = []
  let work = 0
  const stack: (ScannedEntry | undefined)[] = [undefined]
  while (stack.length > 0) {
    const parent = stack.pop()
    const rel = parent?.path ?? ''
    const dir = rel ? `${root}/${rel}` : root
    const names = listFolder(dir, options.unlock === true)
    if (parent) parent.empty = names.length === 0
    for (const name of names) {
      const child = rel ? `${rel}/${name}` : name
      const entry = scanned(child, lstatSync(`${dir}/${name}`))
      entries.push(entry)
      if (entry.type === 'dir' && (options.descend?.(child) ?? true)) stack.push(entry)
      if (++work % YIELD_EVERY === 0) await turn()
    }
  }
  return options.sorted === false ? entries : sortByPath(entries)
}

/**
 * Copies the tree at `source` into `dest` (which must not exist) as `cp -a` would, owners and
 * times aside: folders and files with their permission bits (a folder's once its contents are
 * in), symlinks verbatim, never followed. Entries named by `skip` are left out; special files are
 * not copied but listed, for the caller to refuse. One readdir with file types per folder and one
 * `copy_file_range` per file, no lstat of files: `cpSync` with a filter walks in JavaScript and
 * stats every entry twice, several times slower on a site of 20k files.
 */
export function copyTree(
  source: string,
  dest: string,
  skip: (name: string) => boolean,
): Pick<TreeEntry, 'path' | 'type'>[] {
  const found: Pick<TreeEntry, 'path' | 'type'>[] = []
  const copyFolder = (from: string, to: string, rel: string): void => {
    mkdirSync(to, { mode: 0o700 })
    for (const entry of readdirSync(from, { withFileTypes: true })) {
      if (skip(entry.name)) continue
      const child = rel ? `${rel}/${entry.name}` : entry.name
      const a = `${from}/${entry.name}`
      const b = `${to}/${entry.name}`
      if (entry.isDirectory()) {
        copyFolder(a, b, child)
        found.push({ path: child, type: 'dir' })
      } else if (entry.isFile()) {
        copyFileSync(a, b, constants.COPYFILE_EXCL)
        found.push({ path: child, type: 'file' })
      } else if (entry.isSymbolicLink()) {
        symlinkSync(readlinkSync(a, { encoding: 'buffer' }), b)
        found.push({ path: child, type: 'symlink' })
      } else found.push({ path: child, type: 'other' })
    }
    chmodSync(to, lstatSync(from).mode & 0o7777)
  }
  copyFolder(path.resolve(source), path.resolve(dest), '')
  return found
}

/** Compatible with earlier callers: the same walk, without the stat keys. */
export async function walkTree(root: string): Promise<TreeEntry[]> {
  return scanTree(root)
}

function listFolder(dir: string, unlock: boolean): string[] {
  try {
    return readdirSync(dir)
  } catch (error) {
    if (!unlock || (error as NodeJS.ErrnoException).code !== 'EACCES') throw error
    const mode = lstatSync(dir).mode & 0o7777
    chmodSync(dir, mode | 0o700)
    return readdirSync(dir)
  }
}

export function scanned(rel: string, info: Stats): ScannedEntry {
  const type: EntryType = info.isFile()
    ? 'file'
    : info.isDirectory()
      ? 'dir'
      : info.isSymbolicLink()
        ? 'symlink'
        : 'other'
  return {
    path: rel,
    type,
    mode: type === 'symlink' ? 0 : info.mode & 0o7777,
    size: type === 'file' ? info.size : 0,
    empty: false,
    ino: info.ino,
    mtime: info.mtimeMs,
    ctime: info.ctimeMs,
  }
}

const SURROGATE = /[\ud800-\udfff]/

/** Sorted by UTF-8 bytes (what the tree hash folds in), not by UTF-16 units. */
export function sortByPath<T extends { path: string }>(list: T[]): T[] {
  // UTF-16 order is UTF-8 byte order but for surrogate pairs (above U+FFFF): without any, plain
  // string comparison sorts the same without a Buffer per path.
  if (!list.some((e) => SURROGATE.test(e.path)))
    return list.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  const keyed = list.map((entry) => ({ entry, key: Buffer.from(entry.path) }))
  keyed.sort((a, b) => Buffer.compare(a.key, b.key))
  return keyed.map((k) => k.entry)
}

/** What the tree hash knows of an entry's content, and git's blob id for it. */
export interface Digest {
  /** Files: sha256 of the bytes; symlinks: the target; folders: empty. */
  digest: string
  /** Files and symlinks: the git blob id (sha1 of `blob SIZE\0` and the bytes); folders: empty. */
  oid: string
}

/** Reads one entry's content (a symlink's target) and digests it both ways. */
export function digestEntry(root: string, entry: Pick<TreeEntry, 'path' | 'type'>): Digest {
  const full = path.join(root, entry.path)
  if (entry.type === 'file') return digestBytes(readFileSync(full), createHash('sha256'))
  if (entry.type === 'symlink') {
    const target = readlinkSync(full, { encoding: 'buffer' })
    return { digest: target.toString(), oid: digestBytes(target).oid }
  }
  return { digest: '', oid: '' }
}

function digestBytes(bytes: Buffer, sha256?: ReturnType<typeof createHash>): Digest {
  const oid = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex')
  return { digest: sha256 ? sha256.update(bytes).digest('hex') : '', oid }
}

/** Digests every entry in turn (yielding now and then); the list keeps its order. */
export async function digestAll<T extends Pick<TreeEntry, 'path' | 'type'>>(
  root: string,
  entries: readonly T[],
): Promise<(T & Digest)[]> {
  const out: (T & Digest)[] = []
  for (const [index, entry] of entries.entries()) {
    out.push({ ...entry, ...digestEntry(root, entry) })
    if ((index + 1) % 256 === 0) await turn()
  }
  return out
}

export interface TreeHash {
  hash: string
  files: number
  dirs: number
  symlinks: number
  bytes: number
}

/**
 * One sha256 over every entry's type, permission bits, path and content (a symlink's target), in
 * path-byte order: equal hashes mean the trees are byte for byte the same, mtimes and owners
 * aside. The one definition, whether the digests were just read or come from the stat cache.
 */
export function foldTree(
  list: readonly (Pick<TreeEntry, 'path' | 'type' | 'mode' | 'size'> & { digest: string })[],
): TreeHash {
  const total = createHash('sha256')
  const counts = { files: 0, dirs: 0, symlinks: 0, bytes: 0 }
  // Lines are hashed a thousand at a time: one update per entry costs more than the hashing.
  let batch: string[] = []
  for (const entry of list) {
    if (entry.type === 'file') {
      counts.files += 1
      counts.bytes += entry.size
    } else if (entry.type === 'symlink') counts.symlinks += 1
    else if (entry.type === 'dir') counts.dirs += 1
    batch.push(`${entry.type}\0${entry.mode.toString(8)}\0${entry.path}\0${entry.digest}\n`)
    if (batch.length === 1024) {
      total.update(batch.join(''))
      batch = []
    }
  }
  total.update(batch.join(''))
  return { hash: total.digest('hex'), ...counts }
}

/** Reads every file below `root` (the full hash `status --verify` and `reset --verify` compute). */
export async function hashTree(root: string, entries?: readonly TreeEntry[]): Promise<TreeHash> {
  const list = entries ?? (await scanTree(root))
  return foldTree(await digestAll(root, list))
}

/** The permission bits git restores for an entry: it records only a file's executable bit. */
export function gitMode(entry: Pick<TreeEntry, 'type' | 'mode'>): number {
  if (entry.type === 'dir') return 0o755
  return entry.mode & 0o100 ? 0o755 : 0o644
}
