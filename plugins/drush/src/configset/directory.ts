import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError } from 'driftcore'
import { configFile, objectName, setOf, type ConfigFile, type ConfigSet } from './config-set.js'

const PARALLEL = 64

/** Every config object in an export folder (collections in sub-folders included). */
export async function readDirectory(
  dir: string,
  label = dir,
  only?: (name: string) => boolean,
): Promise<ConfigSet> {
  let entries
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true })
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
  for (let i = 0; i < files.length; i += PARALLEL) {
    const batch = await Promise.all(
      files
        .slice(i, i + PARALLEL)
        .map(async (file) => configFile(file, await readFile(path.join(dir, file)))),
    )
    for (const f of batch) if (f) read.push(f)
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
