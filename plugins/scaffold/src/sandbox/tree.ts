import { createHash } from 'node:crypto'
import { lstat, readFile, readdir, readlink } from 'node:fs/promises'
import path from 'node:path'

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
 * Every entry below `root`, without following symlinks, sorted by path bytes so the same tree
 * always lists in the same order. `.git` folders and special files are listed like anything else:
 * callers decide what to do about them.
 */
export async function walkTree(root: string): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = []
  const visit = async (rel: string): Promise<number> => {
    const names = await readdir(path.join(root, rel))
    const infos = await Promise.all(names.map((name) => lstat(path.join(root, rel, name))))
    const folders: [string, TreeEntry][] = []
    names.forEach((name, index) => {
      const info = infos[index]!
      const type: EntryType = info.isFile()
        ? 'file'
        : info.isDirectory()
          ? 'dir'
          : info.isSymbolicLink()
            ? 'symlink'
            : 'other'
      const child = rel ? `${rel}/${name}` : name
      const entry: TreeEntry = {
        path: child,
        type,
        mode: type === 'symlink' ? 0 : info.mode & 0o7777,
        size: type === 'file' ? info.size : 0,
        empty: false,
      }
      entries.push(entry)
      if (type === 'dir') folders.push([child, entry])
    })
    await Promise.all(
      folders.map(async ([child, entry]) => {
        entry.empty = (await visit(child)) === 0
      }),
    )
    return names.length
  }
  await visit('')
  return entries.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)))
}

export interface TreeHash {
  hash: string
  files: number
  dirs: number
  symlinks: number
  bytes: number
}

/**
 * One sha256 over every entry's type, permission bits, path and content (a symlink's target):
 * equal hashes mean the trees are byte for byte the same, mtimes and owners aside.
 */
export async function hashTree(root: string, entries?: readonly TreeEntry[]): Promise<TreeHash> {
  const list = entries ?? (await walkTree(root))
  // Reading is the cost: read many files at once, then fold the digests in path order.
  const digests = await mapLimit(list, 32, async (entry) => {
    const full = path.join(root, entry.path)
    if (entry.type === 'file')
      return createHash('sha256')
        .update(await readFile(full))
        .digest('hex')
    if (entry.type === 'symlink') return readlink(full)
    return ''
  })
  const total = createHash('sha256')
  const counts = { files: 0, dirs: 0, symlinks: 0, bytes: 0 }
  list.forEach((entry, index) => {
    if (entry.type === 'file') {
      counts.files += 1
      counts.bytes += entry.size
    } else if (entry.type === 'symlink') counts.symlinks += 1
    else if (entry.type === 'dir') counts.dirs += 1
    total.update(`${entry.type}\0${entry.mode.toString(8)}\0${entry.path}\0${digests[index]}\n`)
  })
  return { hash: total.digest('hex'), ...counts }
}

async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await work(items[index]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

/** The permission bits git restores for an entry: it records only a file's executable bit. */
export function gitMode(entry: Pick<TreeEntry, 'type' | 'mode'>): number {
  if (entry.type === 'dir') return 0o755
  return entry.mode & 0o100 ? 0o755 : 0o644
}
