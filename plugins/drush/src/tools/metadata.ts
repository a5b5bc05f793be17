import { z } from 'zod'
import { DriftcoreError, defineTool, isDriftcoreError } from 'driftcore/api'
import { compareMetadata } from '../metadata/compare.js'
import { harvestFromConfig, harvestWithDrush, siteSyncFolder } from '../metadata/harvest.js'
import { entityTypeSchema } from '../metadata/model.js'
import { loadSnapshot, saveSnapshot } from '../metadata/snapshots.js'
import { drushSettings } from '../settings/sections.js'
import { machineName, nameList, siteLock, sourceSpec, specPaths } from './common.js'

const snapshotSchema = z.lazy(() =>
  z.object({
    id: z.string(),
    taken_at: z.string(),
    source: z.object({ kind: z.enum(['drush', 'config']), detail: z.string() }),
    artifact: z.string(),
    entity_types: z.number(),
    bundles: z.number(),
    fields: z.number(),
  }),
)

const countsSchema = z.lazy(() => z.object({ added: z.number(), removed: z.number(), changed: z.number() }))
const summarySchema = z.lazy(() =>
  z.object({ entity_types: countsSchema, bundles: countsSchema, fields: countsSchema }),
)
const deltaSchema = z.lazy(() =>
  z.object({
    kind: z.enum(['entity_type', 'bundle', 'field']),
    change: z.enum(['added', 'removed', 'changed']),
    id: z.string(),
    properties: z.record(z.string(), z.object({ before: z.unknown(), after: z.unknown() })).optional(),
  }),
)

function countsText(summary: z.output<typeof summarySchema>): string {
  const parts = (['entity_types', 'bundles', 'fields'] as const).flatMap((kind) => {
    const c = summary[kind]
    const n = c.added + c.removed + c.changed
    return n === 0 ? [] : [`${kind.replace('_', ' ')} +${c.added} -${c.removed} ~${c.changed}`]
  })
  return parts.length === 0 ? 'no change since' : `since: ${parts.join(', ')}`
}

export const metadataHarvest = defineTool({
  id: 'drush.metadataHarvest',
  title: "Harvest the site's entity types and fields",
  description:
    "Reads entity types, bundles and fields (base fields included) and keeps them as a snapshot the schema resources serve. With Drush it runs the plugin's PHP script through `drush php:script`; without, it reads a config export. Returns how the snapshot differs from the previous one.",
  capability: 'drupal.read',
  risk: ['read'],
  requires: ['drush'],
  // Reads a config export or what its PHP script printed: grows with the site, not bounded.
  inProcess: {
    paths: (input, env) => specPaths(env, [input.source ?? drushSettings(env.config).config_dir], true),
  },
  input: () =>
    z.object({
      from: z
        .enum(['auto', 'drush', 'config'])
        .default('auto')
        .describe('auto: Drush when reachable, else the config export; drush; config: a config export only'),
      source: sourceSpec
        .optional()
        .describe(
          'the config export to read (default: drush.config_dir, or the sync folder drush status names)',
        ),
    }),
  output: () =>
    z.object({
      snapshot: snapshotSchema,
      previous: z.string().nullable(),
      summary: summarySchema.nullable(),
    }),
  locks: () => siteLock('shared'),
  verdict: ({ snapshot, previous, summary }) => ({
    ok: true,
    summary: `snapshot ${snapshot.id}: ${snapshot.entity_types} entity types, ${snapshot.bundles} bundles, ${snapshot.fields} fields (from ${snapshot.source.kind}${previous ? `; previous ${previous}` : '; the first snapshot'})${summary && previous ? `, ${countsText(summary)}` : ''}`,
  }),
  async run(input, ctx) {
    if (input.from === 'drush' && input.source) {
      throw new DriftcoreError(
        'invalid_input',
        'source names a config export; it cannot be used with from: drush',
      )
    }
    let metadata
    if (input.from === 'config' || input.source) {
      metadata = await harvestFromConfig(ctx, input.source)
    } else {
      try {
        metadata = await harvestWithDrush(ctx)
      } catch (error) {
        if (input.from === 'drush' || !isDriftcoreError(error, 'unavailable')) throw error
        const sync = await siteSyncFolder(ctx)
        ctx.logger.warn(
          `Drush cannot harvest the site (${error.message.split('\n')[0]}); reading the config export ${sync ?? drushSettings(ctx.config).config_dir} instead`,
        )
        metadata = await harvestFromConfig(ctx, sync)
      }
    }
    const before = await loadSnapshot(ctx, 'latest')
    const { entry } = await saveSnapshot(ctx, metadata)
    return {
      snapshot: entry,
      previous: before?.entry.id ?? null,
      summary: before ? compareMetadata(before.metadata, metadata).summary : null,
    }
  },
})

export const entitySchema = defineTool({
  id: 'drush.entitySchema',
  title: 'Refresh the metadata of one entity type',
  description:
    'Harvests one entity type (its bundles and fields) from the live site through Drush, and stores a new snapshot in which only that entity type is replaced. Returns its definition and what changed.',
  capability: 'drupal.read',
  risk: ['read'],
  requires: ['drush'],
  inProcess: { paths: (_input, env) => specPaths(env, [], true) },
  input: () => z.object({ entity_type: machineName.describe('the entity type, e.g. node') }),
  output: () =>
    z.object({
      entity_type: entityTypeSchema,
      snapshot: snapshotSchema,
      deltas: z.array(deltaSchema),
    }),
  locks: () => siteLock('shared'),
  async run(input, ctx) {
    const fresh = await harvestWithDrush(ctx, [input.entity_type])
    const type = fresh.entity_types[input.entity_type]
    if (!type) {
      throw new DriftcoreError('not_found', `the site has no entity type "${input.entity_type}"`, {
        hint: 'list them with: driftcore resources read driftcore://schema/entity-types',
      })
    }
    const before = await loadSnapshot(ctx, 'latest')
    // The snapshot says what it is: this type from Drush, the rest from the one it was laid over
    // (whose unknown facts, for the other types, stay unknown).
    const merged = before
      ? {
          ...before.metadata,
          source: {
            kind: 'drush' as const,
            detail: `${fresh.source.detail}: ${type.id}; other entity types from snapshot ${before.entry.id} (${before.metadata.source.kind})`,
          },
          harvested_at: fresh.harvested_at,
          drupal_version: fresh.drupal_version ?? before.metadata.drupal_version,
          entity_types: { ...before.metadata.entity_types, [type.id]: type },
          unknown: before.metadata.unknown.filter(
            (u) =>
              u !== `entity_type:${type.id}` &&
              u !== `base_fields:${type.id}` &&
              !(u === 'drupal_version' && fresh.drupal_version),
          ),
        }
      : fresh
    const { entry } = await saveSnapshot(ctx, merged)
    const deltas = before ? compareMetadata(before.metadata, merged).deltas : []
    return { entity_type: type, snapshot: entry, deltas }
  },
})

export const metadataCompare = defineTool({
  id: 'drush.metadataCompare',
  title: 'Compare two metadata snapshots',
  description:
    'What changed in the site structure between two harvests (default: the previous and the latest): entity types, bundles and fields added, removed or changed (type, cardinality, required, targets, allowed values…).',
  capability: 'drupal.read',
  risk: ['read'],
  // Two snapshots from driftcore's own records.
  inProcess: { paths: () => [] },
  input: () =>
    z.object({
      from: z.string().default('previous').describe('a snapshot id, or previous'),
      to: z.string().default('latest').describe('a snapshot id, or latest'),
    }),
  output: () =>
    z.object({
      from: z.string(),
      to: z.string(),
      summary: summarySchema,
      deltas: z.array(deltaSchema),
    }),
  verdict: ({ from, to, deltas }) => ({
    ok: true,
    summary:
      deltas.length === 0
        ? `the content model did not change between ${from} and ${to}`
        : `the content model changed between ${from} and ${to}: ${nameList(deltas.map((d) => `${d.change} ${d.kind.replace('_', ' ')} ${d.id}`))}`,
  }),
  async run(input, ctx) {
    const [from, to] = [await loadSnapshot(ctx, input.from), await loadSnapshot(ctx, input.to)]
    if (!from || !to) {
      throw new DriftcoreError('not_found', 'comparing needs two metadata snapshots', {
        hint: 'take them with: driftcore drush metadata-harvest',
      })
    }
    const { summary, deltas } = compareMetadata(from.metadata, to.metadata)
    return { from: from.entry.id, to: to.entry.id, summary, deltas }
  },
})
