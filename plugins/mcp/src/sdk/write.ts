import { randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError } from 'driftcore/api'

const MANIFEST = '.driftcore-sdk.json'

export interface WriteReport {
  written: string[]
  unchanged: string[]
  removed: string[]
}

/**
 * Writes generated files into `dir`, each atomically (temp file, then rename), leaving files
 * whose content did not change untouched and removing files an earlier run generated that are
 * gone now. A folder holding files driftcore did not generate is refused unless `force`.
 */
export async function writeGenerated(
  dir: string,
  files: ReadonlyMap<string, string>,
  options: { force?: boolean } = {},
): Promise<WriteReport> {
  await mkdir(dir, { recursive: true })
  const previous = await readManifest(dir)
  if (!previous && !options.force) {
    const present = (await readdir(dir)).filter((f) => !f.startsWith('.'))
    if (present.length > 0) {
      throw new DriftcoreError(
        'conflict',
        `${dir} holds files driftcore did not generate (${present.slice(0, 3).join(', ')}…)`,
        {
          hint: 'generate into an empty folder, or pass --force to write over it',
        },
      )
    }
  }
  const report: WriteReport = { written: [], unchanged: [], removed: [] }
  for (const [name, content] of files) {
    const file = path.join(dir, name)
    if ((await readFile(file, 'utf8').catch(() => undefined)) === content) {
      report.unchanged.push(name)
      continue
    }
    await writeAtomic(file, content)
    report.written.push(name)
  }
  for (const name of previous ?? []) {
    if (files.has(name)) continue
    await rm(path.join(dir, name), { force: true })
    report.removed.push(name)
  }
  await writeAtomic(
    path.join(dir, MANIFEST),
    `${JSON.stringify({ generator: 'driftcore sdk generate', files: [...files.keys()] }, null, 2)}\n`,
  )
  return report
}

export async function writeAtomic(file: string, content: string): Promise<void> {
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`
  await writeFile(temp, content)
  try {
    await rename(temp, file)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
}

async function readManifest(dir: string): Promise<string[] | undefined> {
  try {
    const manifest = JSON.parse(await readFile(path.join(dir, MANIFEST), 'utf8')) as { files?: unknown }
    return Array.isArray(manifest.files)
      ? // Names of files in this folder only: an edited manifest must not remove anything elsewhere.
        manifest.files.filter(
          (f): f is string => typeof f === 'string' && /^[^/\\\0]+$/.test(f) && f !== '.' && f !== '..',
        )
      : []
  } catch {
    return undefined
  }
}
