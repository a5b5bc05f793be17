import { readFile } from 'node:fs/promises'
import { DriftcoreError, writeFileAtomic } from 'driftcore/api'
import type { SandboxLayout } from './layout.js'
import type { TreeHash } from './tree.js'

/** What reset needs beyond the git commit: what git cannot record (empty folders, permission bits) and the hash to prove it. */
export interface SnapshotManifest extends TreeHash {
  version: 1
  commit: string
  created_at: string
  /** Folders with nothing in them, which git does not keep. */
  empty_dirs: string[]
  /** Permission bits that differ from what git restores (0644/0755 files, 0755 folders). */
  modes: Record<string, number>
}

export async function readManifest(layout: SandboxLayout): Promise<SnapshotManifest | undefined> {
  const text = await readFile(layout.manifest, 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  try {
    return JSON.parse(text) as SnapshotManifest
  } catch (error) {
    throw new DriftcoreError('integrity', `the snapshot manifest ${layout.manifest} is corrupt`, {
      hint: 'take a new snapshot with: driftcore sandbox snapshot',
      cause: error,
    })
  }
}

export async function requireManifest(layout: SandboxLayout): Promise<SnapshotManifest> {
  const manifest = await readManifest(layout)
  if (!manifest) {
    throw new DriftcoreError('not_found', `the sandbox at ${layout.site} has no snapshot to go back to`, {
      hint: 'take one first with: driftcore sandbox snapshot',
      details: { path: layout.site },
    })
  }
  return manifest
}

export async function writeManifest(layout: SandboxLayout, manifest: SnapshotManifest): Promise<void> {
  await writeFileAtomic(layout.manifest, `${JSON.stringify(manifest, null, 2)}\n`)
}

/** What callers are shown of a snapshot. */
export function summariseSnapshot(manifest: SnapshotManifest): {
  commit: string
  tree_hash: string
  files: number
  bytes: number
  created_at: string
} {
  const { commit, hash, files, bytes, created_at } = manifest
  return { commit, tree_hash: hash, files, bytes, created_at }
}
