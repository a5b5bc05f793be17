import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'

/**
 * A plain index as read: its bytes, each entry's offset by path, the trees its cache-tree holds
 * as valid (by folder path with a trailing slash, '' for the top: entries below and tree id), and
 * the second its file was last written.
 */
export interface GitIndex {
  bytes: Buffer
  entries: Map<string, number>
  trees: Map<string, { count: number; oid: string }>
  mtimeSec: number
}

/** An entry's `MODE OID` (mode in octal), as `git ls-files --stage` prints it. */
export function entryValue(index: GitIndex, start: number): string {
  const buf = index.bytes
  return `${buf.readUInt32BE(start + 24).toString(8)} ${buf.toString('hex', start + 40, start + 60)}`
}

/**
 * What git's index holds, read from the file itself rather than through `git ls-files --stage`
 * (whose 20k lines would cross a process boundary and the launcher's output redaction on every
 * snapshot): path → `MODE OID` (mode in octal, as ls-files prints it). Only a plain index is
 * read: version 2 or 3 without extended flags, every entry at stage 0 and a file or symlink, no
 * split or sparse index, and a trailing sha1 that matches. Anything else is undefined, and the
 * caller takes the path through `git add`, which needs none of this. The index is git's, in
 * `.driftcore/sandbox/git`, out of the sandbox's reach; what it says is checked against the
 * site's bytes before it is committed (see `commitChanges`).
 */
export function readGitIndex(file: string): Map<string, string> | undefined {
  const index = readPlainIndex(file)
  return index && new Map([...index.entries].map(([rel, start]) => [rel, entryValue(index, start)]))
}

/** The plain index with each entry's place in the file (see readGitIndex), or undefined. */
export function readPlainIndex(file: string): GitIndex | undefined {
  let buf: Buffer
  let mtimeSec: number
  try {
    mtimeSec = Math.floor(statSync(file).mtimeMs / 1000)
    buf = readFileSync(file)
  } catch {
    return undefined
  }
  if (buf.length < 32 || buf.toString('latin1', 0, 4) !== 'DIRC') return undefined
  const version = buf.readUInt32BE(4)
  if (version !== 2 && version !== 3) return undefined
  const end = buf.length - 20
  if (!createHash('sha1').update(buf.subarray(0, end)).digest().equals(buf.subarray(end))) return undefined
  const count = buf.readUInt32BE(8)
  const entries = new Map<string, number>()
  const trees = new Map<string, { count: number; oid: string }>()
  let offset = 12
  for (let i = 0; i < count; i++) {
    if (offset + 62 > end) return undefined
    const mode = buf.readUInt32BE(offset + 24)
    const flags = buf.readUInt16BE(offset + 60)
    // Extended flags (skip-worktree, intent-to-add) or a stage other than 0: not plain.
    if (flags & 0x4000 || (flags >> 12) & 3) return undefined
    if (mode !== 0o100644 && mode !== 0o100755 && mode !== 0o120000) return undefined
    const nul = buf.indexOf(0, offset + 62)
    if (nul < 0 || nul >= end) return undefined
    // Each entry is padded with 1 to 8 NULs to a multiple of 8 bytes.
    entries.set(buf.toString('utf8', offset + 62, nul), offset)
    offset += (nul - offset + 8) & ~7
  }
  // Extensions: a split index ("link") keeps entries elsewhere, a sparse one ("sdir") folders.
  while (offset + 8 <= end) {
    const signature = buf.toString('latin1', offset, offset + 4)
    if (signature === 'link' || signature === 'sdir') return undefined
    const size = buf.readUInt32BE(offset + 4)
    if (signature === 'TREE') validTrees(buf.subarray(offset + 8, offset + 8 + size), trees)
    offset += 8 + size
  }
  if (offset !== end || entries.size !== count) return undefined
  return { bytes: buf, entries, trees, mtimeSec }
}

// The cache-tree's records (`NAME\0COUNT SUBTREES\n` and, when COUNT is not -1, a 20-byte id),
// in pre-order, each followed by its SUBTREES: the valid ones by folder path. A record it cannot
// read ends the walk there (what was read is still right: each record names its own folder).
function validTrees(data: Buffer, into: Map<string, { count: number; oid: string }>): void {
  let at = 0
  const walk = (prefix: string): boolean => {
    const nul = data.indexOf(0, at)
    const newline = nul < 0 ? -1 : data.indexOf(10, nul)
    if (newline < 0) return false
    const name = data.toString('utf8', at, nul)
    const [count = NaN, subtrees = NaN] = data
      .toString('latin1', nul + 1, newline)
      .split(' ')
      .map(Number)
    if (!Number.isInteger(count) || !Number.isInteger(subtrees) || subtrees < 0) return false
    at = newline + 1
    const folder = prefix === '' && name === '' ? '' : `${prefix}${name}/`
    if (count >= 0) {
      if (at + 20 > data.length) return false
      into.set(folder, { count, oid: data.toString('hex', at, at + 20) })
      at += 20
    }
    for (let i = 0; i < subtrees; i++) if (!walk(folder)) return false
    return true
  }
  walk('')
}

/** An entry of the index to write: its path, mode (octal string) and blob id. */
export interface IndexRecord {
  path: string
  mode: '100644' | '100755' | '120000'
  oid: string
}

const MODES: Record<IndexRecord['mode'], number> = {
  '100644': 0o100644,
  '100755': 0o100755,
  '120000': 0o120000,
}

/**
 * Where the old index holds this entry with the same mode and blob id (its offset), or -1.
 * `scratch` is a 20-byte buffer the id is decoded into, so that 20k comparisons allocate nothing.
 */
export function sameEntry(index: GitIndex, record: IndexRecord, scratch: Buffer): number {
  const start = index.entries.get(record.path)
  if (start === undefined || index.bytes.readUInt32BE(start + 24) !== MODES[record.mode]) return -1
  scratch.write(record.oid, 0, 'hex')
  return scratch.compare(index.bytes, start + 40, start + 60) === 0 ? start : -1
}

/**
 * git's index (version 2) for exactly these entries, in the order given (path-byte order, as
 * git keeps it), followed by a cache-tree (`TREE`) extension and the sha1 of it all. An entry
 * `kept` names (its offset in `old`, which holds it with the same mode and blob: `sameEntry`)
 * keeps its bytes, so git's stat data and `git status` does not hash it again; smudged as git
 * smudges a racily clean entry when its mtime is not before the old index's (its size set to 0,
 * so git compares its content). Any other entry gets no stat data, as `update-index
 * --index-info` gives it, so git hashes it when it looks. Nothing else: no other extension, no
 * split or sparse index.
 */
export function formatIndex(
  records: readonly IndexRecord[],
  kept: readonly number[],
  old: GitIndex,
  tree: Buffer,
): Buffer {
  const names = records.map((r) => Buffer.byteLength(r.path))
  let size = 12 + 8 + tree.length
  for (const n of names) size += (62 + n + 8) & ~7
  const out = Buffer.alloc(size + 20)
  out.write('DIRC', 0, 'latin1')
  out.writeUInt32BE(2, 4)
  out.writeUInt32BE(records.length, 8)
  let at = 12
  for (const [i, r] of records.entries()) {
    const length = (62 + names[i]! + 8) & ~7
    const start = kept[i]!
    if (start >= 0) {
      // A version 3 entry without extended flags is laid out as version 2's.
      old.bytes.copy(out, at, start, start + length)
      if (out.readUInt32BE(at + 8) >= old.mtimeSec) out.writeUInt32BE(0, at + 36)
    } else {
      out.writeUInt32BE(MODES[r.mode], at + 24)
      out.write(r.oid, at + 40, 'hex')
      out.writeUInt16BE(Math.min(names[i]!, 0xfff), at + 60)
      out.write(r.path, at + 62, 'utf8')
    }
    at += length
  }
  out.write('TREE', at, 'latin1')
  out.writeUInt32BE(tree.length, at + 4)
  tree.copy(out, at + 8)
  at += 8 + tree.length
  createHash('sha1').update(out.subarray(0, at)).digest().copy(out, at)
  return out
}
