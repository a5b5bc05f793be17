import { z } from 'zod'
import type { ToolContext } from 'driftcore/api'
import { digestOf, manifestOf, type ConfigSet, type ManifestEntry } from './config-set.js'

export const manifestEntrySchema = z.lazy(() =>
  z.object({
    file: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    size: z.number().int().min(0),
  }),
)

/**
 * What `drush.configExport` and `drift.snapshot` keep: the manifest, its digest and the
 * tarball holding the content. An export record is an artifact; a baseline is a file under
 * `.driftcore/drift/baselines/`.
 */
export const configRecordSchema = z.lazy(() =>
  z.object({
    kind: z.enum(['driftcore.config-export', 'driftcore.config-baseline']),
    version: z.literal(1),
    name: z.string().optional(),
    created_at: z.string(),
    source: z.string(),
    digest: z.string(),
    files: z.number().int(),
    bytes: z.number().int(),
    tar: z.string().nullable(),
    manifest: z.array(manifestEntrySchema),
    /** The record this one replaced (a baseline's earlier version), kept as an artifact. */
    previous: z.string().optional(),
  }),
)

export type ConfigRecord = z.output<typeof configRecordSchema>

/** The summary tools return instead of the whole manifest. */
export const recordSummarySchema = z.lazy(() =>
  z.object({
    digest: z.string(),
    files: z.number(),
    bytes: z.number(),
    tar: z.string().nullable(),
    created_at: z.string(),
  }),
)

export function recordOf(
  kind: ConfigRecord['kind'],
  set: ConfigSet,
  tar: string | null,
  extra: { name?: string; previous?: string } = {},
): ConfigRecord {
  const manifest: ManifestEntry[] = manifestOf(set)
  return {
    kind,
    version: 1,
    ...(extra.name ? { name: extra.name } : {}),
    created_at: new Date().toISOString(),
    source: set.label,
    digest: digestOf(manifest),
    files: manifest.length,
    bytes: manifest.reduce((sum, e) => sum + e.size, 0),
    tar,
    manifest,
    ...(extra.previous ? { previous: extra.previous } : {}),
  }
}

/** Stores a record as a JSON artifact kept for the audit retention period. */
export async function putRecord(ctx: Pick<ToolContext, 'artifacts'>, record: ConfigRecord): Promise<string> {
  const ref = await ctx.artifacts.put(JSON.stringify(record, null, 2) + '\n', {
    name:
      record.kind === 'driftcore.config-export' ? 'config-export.json' : `baseline-${record.name ?? ''}.json`,
    mediaType: 'application/json',
    retention: 'audit',
  })
  return ref.uri
}
