import { DriftcoreError } from 'driftcore/api'
import {
  configFile,
  objectName,
  setOf,
  type ConfigFile,
  type ConfigSet,
  type SourceKind,
} from './config-set.js'

/** True for gzip data (an exported tarball) rather than JSON. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b
}

// node-tar loads on first use: most commands never touch a tarball.

/**
 * A deterministic .tar.gz of the given files in `dir`: sorted names, portable headers and a
 * fixed mtime, so the same export always yields the same bytes (and the same artifact).
 */
export async function packDirectory(dir: string, files: readonly string[]): Promise<Buffer> {
  const { create } = await import('tar')
  const chunks: Buffer[] = []
  const stream = create(
    { gzip: true, portable: true, cwd: dir, mtime: new Date(0), noDirRecurse: true },
    [...files].sort(),
  )
  for await (const chunk of stream) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/**
 * The config objects in a .tar.gz, read in memory: nothing is written to disk, so an entry
 * named `../x` cannot escape anywhere; such names are refused.
 */
export async function readTarball(
  bytes: Buffer,
  label: string,
  kind: SourceKind = 'tarball',
  only?: (name: string) => boolean,
): Promise<ConfigSet> {
  const { Parser } = await import('tar')
  const files: ConfigFile[] = []
  const pending: Promise<void>[] = []
  const problems: string[] = []
  const parser = new Parser({
    onReadEntry: (entry) => {
      const name = entry.path.replace(/^\.\//, '')
      if (entry.type !== 'File' || !name.endsWith('.yml') || (only && !only(objectName(name) ?? ''))) {
        entry.resume()
        return
      }
      if (name.startsWith('/') || name.split('/').includes('..')) {
        problems.push(`unsafe entry name "${entry.path}"`)
        entry.resume()
        return
      }
      pending.push(
        entry.concat().then((data) => {
          const file = configFile(name, data)
          if (file) files.push(file)
        }),
      )
    },
  })
  await new Promise<void>((resolve, reject) => {
    parser.on('error', reject)
    parser.on('end', resolve)
    parser.on('warn', (code: string, message: string) => {
      if (code === 'TAR_BAD_ARCHIVE' || code === 'TAR_ABORT') problems.push(message)
    })
    parser.end(bytes)
  }).catch((error: unknown) => {
    throw new DriftcoreError(
      'invalid_input',
      `${label} is not a readable .tar.gz: ${(error as Error).message}`,
      {
        cause: error,
      },
    )
  })
  await Promise.all(pending)
  if (problems.length > 0) {
    throw new DriftcoreError('invalid_input', `${label} is not a valid config export: ${problems.join('; ')}`)
  }
  files.sort((a, b) => (a.file < b.file ? -1 : 1))
  return setOf(kind, label, files)
}
