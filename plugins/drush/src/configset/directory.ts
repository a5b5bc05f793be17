import { readdirSync, readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError } from 'driftcore'
import { configFile, objectName, setOf, type ConfigFile, type ConfigSet } from './config-set.js'

/**
 * Every config object in an export folder (collections in sub-folders included).
 *
 * Reads are synchronous on purpose: an export is thousands of small local files, and a
 * promise per file costs several times the CPU of the read itself (2,000 files: ~150 ms of
 * CPU asynchronously, ~20-40 ms synchronously), while nothing else waits on this loop.
 */
export async function readDirectory(
  dir: string,
  label = dir,
  only?: (name: string) => boolean,
): Promise<ConfigSet> {
  let entries
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new DriftcoreError(
      code === 'ENOENT' ? 'not_found' : code === 'ENOTDIR' ? 'invalid_input' : 'io',
      `cannot read the config folder ${label}: ${(error as Error).message}`,
      { cause: error },
    )
  }
  const files = entries
    .filter((e) => e.isFile() && e.name.endsWith('.yml'))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .filter((file) => !only || only(objectName(file) ?? ''))
    .sort()
  const read: ConfigFile[] = []
  for (const file of files) {
    const f = configFile(file, readFileSync(path.join(dir, file)))
    if (f) read.push(f)
  }
  return setOf('directory', label, read)
}

/** Writes a set's objects into a folder (which must be new or empty). */
export async function writeObjects(dir: string, files: Iterable<ConfigFile>): Promise<void> {
  for (const f of files) {
    if (!f.bytes)
      throw new DriftcoreError('invalid_input', `${f.file}: only its hash is known, not its content`)
    const target = path.join(dir, ...f.file.split('/'))
    await mkdir(path.dirname(target), { recursive: true })
    await writeFile(target, f.bytes)
  }
}
