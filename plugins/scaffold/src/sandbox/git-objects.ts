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
export function writeLooseObject(gitDir: string, type: 'blob' | 'commit', bytes: Buffer): string {
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
