import { DriftcoreError, JsonDocument, type ProjectPaths, type ToolContext } from 'driftcore/api'
import { pluginPaths } from '../state/paths.js'
import { siteMetadataSchema, type SiteMetadata } from './model.js'

export interface SnapshotEntry {
  id: string
  taken_at: string
  source: SiteMetadata['source']
  artifact: string
  entity_types: number
  bundles: number
  fields: number
}

interface SnapshotIndex {
  snapshots: SnapshotEntry[]
}

const index = (paths: ProjectPaths) =>
  new JsonDocument<SnapshotIndex>(pluginPaths(paths).metadata, () => ({ snapshots: [] }))

export function countsOf(metadata: SiteMetadata): Pick<SnapshotEntry, 'entity_types' | 'bundles' | 'fields'> {
  const types = Object.values(metadata.entity_types)
  const bundles = types.flatMap((t) => Object.values(t.bundles))
  return {
    entity_types: types.length,
    bundles: bundles.length,
    fields: bundles.reduce((n, b) => n + Object.keys(b.fields).length, 0),
  }
}

/**
 * Keeps a harvest as an artifact and appends it to the snapshot index; the index only grows,
 * so every earlier harvest stays comparable.
 */
export async function saveSnapshot(
  ctx: Pick<ToolContext, 'artifacts' | 'paths'>,
  metadata: SiteMetadata,
): Promise<{ entry: SnapshotEntry; previous: SnapshotEntry | undefined }> {
  const ref = await ctx.artifacts.put(JSON.stringify(metadata), {
    name: 'drupal-metadata.json',
    mediaType: 'application/json',
    retention: 'audit',
  })
  return index(ctx.paths).update((doc) => {
    const previous = doc.snapshots.at(-1)
    const taken = metadata.harvested_at
    // Two harvests within a second (or of the same content) are still two snapshots.
    const stem = `${taken.replace(/[-:.]/g, '').slice(0, 15)}-${ref.sha256.slice(0, 8)}`
    const taken_ids = new Set(doc.snapshots.map((s) => s.id))
    let id = stem
    for (let n = 2; taken_ids.has(id); n++) id = `${stem}-${n}`
    const entry: SnapshotEntry = {
      id,
      taken_at: taken,
      source: metadata.source,
      artifact: ref.uri,
      ...countsOf(metadata),
    }
    doc.snapshots.push(entry)
    return { entry, previous }
  })
}

export async function listSnapshots(paths: ProjectPaths): Promise<SnapshotEntry[]> {
  return (await index(paths).read()).snapshots
}

/** A snapshot by id (or the latest, or the one before it with `previous`). */
export async function loadSnapshot(
  ctx: Pick<ToolContext, 'artifacts' | 'paths'>,
  /** A snapshot id, or `latest` / `previous`. */
  which = 'latest',
): Promise<{ entry: SnapshotEntry; metadata: SiteMetadata } | undefined> {
  const all = await listSnapshots(ctx.paths)
  const entry =
    which === 'latest' ? all.at(-1) : which === 'previous' ? all.at(-2) : all.find((s) => s.id === which)
  if (!entry) {
    if (which === 'latest' || which === 'previous') return undefined
    throw new DriftcoreError('not_found', `no metadata snapshot "${which}"`, {
      hint: `known snapshots: ${
        all
          .map((s) => s.id)
          .slice(-5)
          .join(', ') || '(none yet: run driftcore drush metadata-harvest)'
      }`,
    })
  }
  const bytes = await ctx.artifacts.get(entry.artifact)
  return { entry, metadata: siteMetadataSchema.parse(JSON.parse(bytes.toString('utf8'))) }
}
