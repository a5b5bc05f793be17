import { createHash, randomBytes } from 'node:crypto'
import {
  closeSync,
  constants,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import { deflateSync, inflateSync } from 'node:zlib'

/**
 * git's loose objects, written here instead of by a `git hash-object -w` / `git commit-tree`
 * process each (about 25 ms apiece under bubblewrap, the bulk of a one-edit snapshot). The format
 * has not changed since git's first release: `objects/XX/YYYY…` (the sha1 of `TYPE SIZE\0BYTES`
 * in hex, split after two digits) holding that header and the bytes, zlib-deflated. git writes
 * them the same way: a temporary file in the object's folder, renamed into place, read-only, no
 * fsync (core.fsync leaves loose objects out by default). An object already there is kept
 * only when it inflates to exactly these bytes (git would trust its name); one planted or torn
 * under that name is replaced.
 */
export function writeLooseObject(gitDir: string, type: 'blob' | 'tree' | 'commit', bytes: Buffer): string {
  const header = Buffer.from(`${type} ${bytes.length}\0`)
  const oid = createHash('sha1').update(header).update(bytes).digest('hex')
  const folder = path.join(gitDir, 'objects', oid.slice(0, 2))
  const file = path.join(folder, oid.slice(2))
  const content = Buffer.concat([header, bytes])
  if (holds(file, content)) return oid
  mkdirSync(folder, { recursive: true })
  const temporary = path.join(folder, `tmp_obj_${randomBytes(6).toString('hex')}`)
  // Level 1 is git's own for loose objects (core.looseCompression).
  writeFileSync(temporary, deflateSync(content, { level: 1 }), {
    mode: 0o444,
    flag: 'wx',
  })
  renameSync(temporary, file)
  return oid
}

// Whether the object file is there and inflates to `content`.
function holds(file: string, content: Buffer): boolean {
  let stored: Buffer
  try {
    stored = readFileSync(file)
  } catch {
    return false
  }
  try {
    return inflateSync(stored).equals(content)
  } catch {
    return false
  }
}

/** The id git gives these bytes as a blob (no object written). */
export function blobId(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex')
}

/**
 * A regular file's bytes, never through a symlink (a file swapped for a link after the walk
 * saw it is refused: undefined), for a blob written from what the walk recorded.
 */
export function readRegularFile(file: string): Buffer | undefined {
  let fd: number
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch {
    return undefined
  }
  try {
    if (!fstatSync(fd).isFile()) return undefined
    return readFileSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** A commit object's bytes as `git commit-tree TREE -p PARENT -m MESSAGE` writes them (UTC). */
export function commitBytes(
  tree: string,
  parent: string,
  who: { name: string; email: string },
  message: string,
  when: Date,
): Buffer {
  const stamp = `${who.name} <${who.email}> ${Math.floor(when.getTime() / 1000)} +0000`
  return Buffer.from(`tree ${tree}\nparent ${parent}\nauthor ${stamp}\ncommitter ${stamp}\n\n${message}\n`)
}

/** What git records of a file or symlink in a tree: its path, mode and blob id. */
export interface TreeLeaf {
  path: string
  mode: '100644' | '100755' | '120000'
  oid: string
  /** Not in the previous index with this mode and blob. */
  changed?: boolean
}

/** Every tree object of a site, and the cache-tree extension an index of the same entries gets. */
export interface BuiltTrees {
  root: string
  /** Tree objects, each as its content (`MODE NAME\0ID…`) and id. */
  objects: { oid: string; content: Buffer }[]
  /** The index's `TREE` extension data: every tree's entry count, subtree count and id, in pre-order. */
  cacheTree: Buffer
}

interface Frame {
  name: string
  /** The folder's path with a trailing slash ('' for the top). */
  prefix: string
  rows: { mode: string; name: string; oid: string }[]
  count: number
  /** A leaf below changed, or a folder below got another tree. */
  dirty: boolean
  subtrees: { name: string; bytes: number; records: Buffer[] }[]
}

const frame = (name: string, prefix: string): Frame => ({
  name,
  prefix,
  rows: [],
  count: 0,
  dirty: false,
  subtrees: [],
})

/**
 * git's trees for these leaves, computed as `git write-tree` computes them: one tree per folder
 * that holds a file or symlink somewhere below it (git has no empty folders), each entry
 * `MODE NAME`, a NUL and the 20-byte id, folders as mode 40000, in git's order (by name bytes, a
 * folder's name compared as if it ended in `/`). Leaves must come in path-byte order (the
 * picture's, `sortByPath`): then each folder's entries are contiguous and already in git's
 * order, a folder's first path `F/…` sorting exactly where git puts `F/`. `git fsck --strict`
 * checks this form; the tests compare it with the trees `git add` and `git write-tree` make.
 *
 * `previous` is the old index's cache-tree: a folder none of whose leaves changed (each was found
 * in the old index by its path, with its mode and blob) and that holds as many entries as the
 * cache-tree says holds exactly those entries, so its tree is that one, as git's write-tree takes
 * a valid cache-tree entry; only the folders on the way to a change are hashed.
 */
export function buildTrees(
  leaves: readonly TreeLeaf[],
  previous: ReadonlyMap<string, { count: number; oid: string }> = new Map(),
): BuiltTrees {
  const objects: { oid: string; content: Buffer }[] = []
  const stack: Frame[] = [frame('', '')]
  const close = (): { oid: string; records: Buffer[] } => {
    const done = stack.pop()!
    const parent = stack.at(-1)
    const prior = previous.get(done.prefix)
    const oid = !done.dirty && prior?.count === done.count ? prior.oid : hashFolder(done, objects)
    if (parent && oid !== prior?.oid) parent.dirty = true
    // git reads subtrees in any order; it writes them by name length, then bytes.
    done.subtrees.sort((x, y) => x.bytes - y.bytes || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
    const own = Buffer.concat([
      Buffer.from(`${done.name}\0${done.count} ${done.subtrees.length}\n`),
      Buffer.from(oid, 'hex'),
    ])
    const records: Buffer[] = [own]
    for (const sub of done.subtrees) for (const r of sub.records) records.push(r)
    if (parent) {
      parent.rows.push({ mode: '40000', name: done.name, oid })
      parent.count += done.count
      parent.subtrees.push({ name: done.name, bytes: Buffer.byteLength(done.name), records })
    }
    return { oid, records }
  }
  for (const leaf of leaves) {
    while (!leaf.path.startsWith(stack.at(-1)!.prefix)) close()
    let top = stack.at(-1)!
    for (;;) {
      const slash = leaf.path.indexOf('/', top.prefix.length)
      if (slash < 0) break
      top = frame(leaf.path.slice(top.prefix.length, slash), leaf.path.slice(0, slash + 1))
      stack.push(top)
    }
    top.rows.push({ mode: leaf.mode, name: leaf.path.slice(top.prefix.length), oid: leaf.oid })
    top.count += 1
    if (leaf.changed) top.dirty = true
  }
  while (stack.length > 1) close()
  const root = close()
  return { root: root.oid, objects, cacheTree: Buffer.concat(root.records) }
}

// A folder's tree object (`MODE NAME\0` and the 20-byte id per entry), added to `objects`; its id.
function hashFolder(done: Frame, objects: { oid: string; content: Buffer }[]): string {
  let size = 0
  for (const row of done.rows) size += row.mode.length + Buffer.byteLength(row.name) + 22
  const content = Buffer.alloc(size)
  let at = 0
  for (const row of done.rows) {
    at += content.write(`${row.mode} ${row.name}\0`, at, 'utf8')
    at += content.write(row.oid, at, 'hex')
  }
  const oid = createHash('sha1').update(`tree ${size}\0`).update(content).digest('hex')
  objects.push({ oid, content })
  return oid
}
