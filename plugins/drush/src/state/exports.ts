import { JsonDocument, type ProjectPaths } from 'driftcore/api'
import { pluginPaths } from './paths.js'

export interface ExportPointer {
  /** The export record (manifest, digest, tarball) as an artifact. */
  record: string
  tar: string | null
  digest: string
  files: number
  created_at: string
}

interface ExportIndex {
  latest: ExportPointer | null
  history: ExportPointer[]
}

const doc = (paths: ProjectPaths) =>
  new JsonDocument<ExportIndex>(pluginPaths(paths).exports, () => ({ latest: null, history: [] }))

/** Remembers an export as the latest; earlier ones stay listed. */
export async function rememberExport(paths: ProjectPaths, pointer: ExportPointer): Promise<void> {
  await doc(paths).update((index) => {
    index.latest = pointer
    index.history.push(pointer)
  })
}

export async function latestExport(paths: ProjectPaths): Promise<ExportPointer | null> {
  return (await doc(paths).read()).latest
}
