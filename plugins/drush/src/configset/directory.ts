import { closeSync, constants, openSync, readdirSync, readSync } from 'node:fs'
import path from 'node:path'
import { ConfinedDir, DriftcoreError } from 'driftcore/api'
import { configFile, objectName, setOf, type ConfigFile, type ConfigSet } from './config-set.js'

/**
 * Every config object in an export folder (collections in sub-folders included). Symlinks are
 * never followed: a linked sub-folder is not part of the export (it could lead anywhere), and a
 * linked `.yml` file is an error, since it would be a config object read from somewhere else.
 *
 * Reads are synchronous on purpose: an export is thousands of small local files, and a
 * promise per file costs several times the CPU of the read itself (2,000 files: ~150 ms of
 * CPU asynchronously, ~20-40 ms synchronously), while nothing else waits on this loop.
 */
export async function readDirectory(
  dir: string,
  label = dir,
  only?: (name: string) => boolean,
  like?: ConfigSet,
): Promise<ConfigSet> {
  let files: string[]
  try {
    files = ymlFiles(dir)
  } catch (error) {
    if (error instanceof DriftcoreError) throw error
    const code = (error as NodeJS.ErrnoException).code
    throw new DriftcoreError(
      code === 'ENOENT' ? 'not_found' : code === 'ENOTDIR' ? 'invalid_input' : 'io',
      `cannot read the config folder ${label}: ${(error as Error).message}`,
      { cause: error },
    )
  }
  const read: ConfigFile[] = []
  for (const file of files.filter((f) => !only || only(objectName(f) ?? '')).sort()) {
    const f = configFile(file, readNoFollow(dir, file, label), like)
    if (f) read.push(f)
  }
  return setOf('directory', label, read)
}

// The .yml files below `dir`, relative with forward slashes, descending only into real folders.
function ymlFiles(dir: string): string[] {
  const found: string[] = []
  const pending = ['']
  for (let rel = pending.pop(); rel !== undefined; rel = pending.pop()) {
    for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name
      // Nothing in a hidden folder is a config object (see objectName): no need to look.
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('.')) pending.push(child)
      } else if (entry.isFile() && entry.name.endsWith('.yml')) found.push(child)
      else if (entry.isSymbolicLink() && entry.name.endsWith('.yml')) throw linked(dir, child)
    }
  }
  return found
}

function readNoFollow(dir: string, file: string, label: string): Buffer {
  let fd: number
  try {
    fd = openSync(`${dir}/${file}`, constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw linked(dir, file)
    throw new DriftcoreError(
      'io',
      `cannot read ${file} in the config folder ${label}: ${(error as Error).message}`,
      {
        cause: error,
      },
    )
  }
  try {
    return readAll(fd)
  } finally {
    closeSync(fd)
  }
}

// Reads a whole file without the fstat readFileSync makes first (config files are small: one
// read fills the shared buffer, a larger file grows it), and copies out just its bytes.
let scratch = Buffer.allocUnsafe(256 * 1024)
function readAll(fd: number): Buffer {
  let length = 0
  for (;;) {
    if (length === scratch.length) scratch = Buffer.concat([scratch, Buffer.allocUnsafe(scratch.length)])
    const n = readSync(fd, scratch, length, scratch.length - length, null)
    if (n === 0) return Buffer.from(scratch.subarray(0, length))
    length += n
  }
}

function linked(dir: string, file: string): DriftcoreError {
  return new DriftcoreError(
    'invalid_input',
    `${path.join(dir, file)} is a symbolic link; config objects are read only from real files in the folder`,
    {
      hint: 'replace the link with the file itself',
      details: { file, folder: dir },
    },
  )
}

/** Writes a set's objects into a folder (which must be new or empty), never through a symlink. */
export async function writeObjects(dir: string, files: Iterable<ConfigFile>): Promise<void> {
  const folder = await ConfinedDir.open(dir, { what: `the folder ${dir}` })
  for (const f of files) {
    if (!f.bytes)
      throw new DriftcoreError('invalid_input', `${f.file}: only its hash is known, not its content`)
    await folder.writeFile(f.file, f.bytes, { sync: false })
  }
}
