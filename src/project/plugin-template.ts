import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { reservedByCore } from '../registry/claims.js'

/** plugin-template/ of this driftcore (not under templates/, which holds the scaffold's module templates): the files a new plugin starts from. */
export const PLUGIN_TEMPLATE = path.resolve(import.meta.dirname, '../../plugin-template')

// The plugin's prefix: its tool ids (`NAME.hello`), config section and package name follow it.
const NAME = /^[a-z][a-z0-9]*$/
// Files npm would drop or rename when driftcore itself is packed, kept under another name.
const RENAMED: Record<string, string> = { gitignore: '.gitignore' }

export interface NewPlugin {
  name: string
  package: string
  dir: string
  files: string[]
}

/**
 * Writes a new plugin from the template into `dir` (default ./driftcore-plugin-NAME): a
 * package that packs, installs from a tarball, a folder or git, and passes its own `npm test`
 * against the driftcore that runs it. Refuses to write into a folder that is not empty.
 */
export async function newPlugin(name: string, dir?: string, template = PLUGIN_TEMPLATE): Promise<NewPlugin> {
  if (!NAME.test(name))
    throw new DriftcoreError('invalid_input', `"${name}" is not a plugin name`, {
      hint: 'a name is lowercase letters and digits, starting with a letter (e.g. weather): it becomes the prefix of its tool ids',
    })
  if (reservedByCore(name))
    throw new DriftcoreError('invalid_input', `"${name}" belongs to driftcore itself`, {
      hint: 'a plugin owning it would be refused when it loads; choose another name',
    })
  const pkg = `driftcore-plugin-${name}`
  const target = path.resolve(dir ?? pkg)
  const existing = await readdir(target).catch(() => [])
  if (existing.length > 0)
    throw new DriftcoreError('conflict', `${target} exists and is not empty`, {
      hint: 'choose another folder with --dir, or remove this one',
    })
  const files: string[] = []
  for (const relative of await listFiles(template)) {
    const text = (await readFile(path.join(template, relative), 'utf8')).replaceAll('__NAME__', name)
    const base = path.basename(relative)
    const out = path.join(path.dirname(relative), RENAMED[base] ?? base)
    await mkdir(path.dirname(path.join(target, out)), { recursive: true })
    await writeFile(path.join(target, out), text, { flag: 'wx' })
    files.push(out)
  }
  return { name, package: pkg, dir: target, files: files.sort() }
}

async function listFiles(root: string, under = ''): Promise<string[]> {
  const entries = await readdir(path.join(root, under), { withFileTypes: true })
  const files: string[] = []
  for (const entry of entries) {
    const relative = path.join(under, entry.name)
    if (entry.isDirectory()) files.push(...(await listFiles(root, relative)))
    else if (entry.isFile()) files.push(relative)
  }
  return files
}
