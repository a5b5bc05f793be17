import { canonicalHash, DriftcoreError, sha256 } from 'driftcore/api'

/** One exported config object: `system.site.yml`, or `language/es/system.site.yml` in a collection. */
export interface ConfigFile {
  /** Path inside the export, with forward slashes. */
  file: string
  /** The object's name; objects in a collection are `language.es:system.site`. */
  name: string
  sha256: string
  size: number
  /** Absent when only a manifest is known (its content was not kept). */
  bytes?: Buffer
}

export interface ManifestEntry {
  file: string
  sha256: string
  size: number
}

export type SourceKind = 'directory' | 'tarball' | 'export' | 'baseline' | 'manifest'

/** A whole export: where it came from and its objects by name. */
export interface ConfigSet {
  kind: SourceKind
  /** What the user named (a path, an artifact, a baseline name), for messages. */
  label: string
  objects: Map<string, ConfigFile>
  /** True when some objects have no content, so only their hashes can be compared. */
  manifestOnly: boolean
}

// A config file name is the object name plus .yml; collections are folders (language/es/).
const FILE = /^(?:([a-z0-9_]+(?:\/[a-zA-Z0-9_-]+)*)\/)?([a-zA-Z0-9_][a-zA-Z0-9_.-]*)\.yml$/

/** The object name of an export file, or undefined for files that are not config (.htaccess…). */
export function objectName(file: string): string | undefined {
  if (file.split('/').some((part) => part.startsWith('.') || part === '')) return undefined
  const match = FILE.exec(file)
  if (!match) return undefined
  const collection = match[1]?.replaceAll('/', '.')
  return collection ? `${collection}:${match[2]}` : match[2]
}

/**
 * A config file from its bytes. `like` is a set being compared with this one: when its object
 * of the same name has these very bytes (a memcmp, far cheaper than a hash), its hash is taken.
 */
export function configFile(file: string, bytes: Buffer, like?: ConfigSet): ConfigFile | undefined {
  const name = objectName(file)
  if (!name) return undefined
  const twin = like?.objects.get(name)
  const hash = twin?.bytes && twin.file === file && twin.bytes.equals(bytes) ? twin.sha256 : sha256(bytes)
  return { file, name, sha256: hash, size: bytes.length, bytes }
}

export function setOf(kind: SourceKind, label: string, files: Iterable<ConfigFile>): ConfigSet {
  const objects = new Map<string, ConfigFile>()
  let manifestOnly = false
  for (const f of files) {
    objects.set(f.name, f)
    if (!f.bytes) manifestOnly = true
  }
  return { kind, label, objects, manifestOnly }
}

/** The manifest: `{file, sha256, size}` for every object, sorted by file. */
export function manifestOf(set: ConfigSet): ManifestEntry[] {
  return [...set.objects.values()]
    .map(({ file, sha256: hash, size }) => ({ file, sha256: hash, size }))
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
}

/**
 * The digest of an export: sha256 of the RFC 8785 canonical JSON of its sorted manifest. Each
 * entry is rebuilt with its keys in sorted order (file, sha256, size) and sizes are integers,
 * so JSON.stringify writes exactly that canonical form (RFC 8785 serialises strings as
 * JSON.stringify does), several times faster than a general canonicaliser.
 */
export function digestOf(manifest: readonly ManifestEntry[]): string {
  if (!manifest.every((e) => Number.isSafeInteger(e.size))) return canonicalHash(manifest)
  return sha256(
    JSON.stringify(manifest.map(({ file, sha256: hash, size }) => ({ file, sha256: hash, size }))),
  )
}

/** A set known only by its manifest (the content was not kept). */
export function setFromManifest(
  kind: SourceKind,
  label: string,
  manifest: readonly ManifestEntry[],
): ConfigSet {
  const files: ConfigFile[] = []
  for (const entry of manifest) {
    const name = objectName(entry.file)
    if (!name) {
      throw new DriftcoreError(
        'invalid_input',
        `${label}: manifest entry "${entry.file}" is not a config file name`,
      )
    }
    files.push({ ...entry, name })
  }
  return setOf(kind, label, files)
}
