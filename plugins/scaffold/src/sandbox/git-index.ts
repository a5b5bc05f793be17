import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'

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
  let buf: Buffer
  try {
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
  const entries = new Map<string, string>()
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
    entries.set(
      buf.toString('utf8', offset + 62, nul),
      `${mode.toString(8)} ${buf.toString('hex', offset + 40, offset + 60)}`,
    )
    // Each entry is padded with 1 to 8 NULs to a multiple of 8 bytes.
    offset += (nul - offset + 8) & ~7
  }
  // Extensions: a split index ("link") keeps entries elsewhere, a sparse one ("sdir") folders.
  while (offset + 8 <= end) {
    const signature = buf.toString('latin1', offset, offset + 4)
    if (signature === 'link' || signature === 'sdir') return undefined
    offset += 8 + buf.readUInt32BE(offset + 4)
  }
  if (offset !== end || entries.size !== count) return undefined
  return entries
}
