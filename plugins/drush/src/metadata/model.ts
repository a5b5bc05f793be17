import { z } from 'zod'

/** One field of a bundle, base fields included, as the harvest script prints it. */
export const fieldSchema = z.lazy(() =>
  z.object({
    name: z.string(),
    label: z.string(),
    description: z.string().default(''),
    type: z.string(),
    required: z.boolean(),
    /** -1 is unlimited. */
    cardinality: z.number().int(),
    base: z.boolean(),
    translatable: z.boolean().default(false),
    settings: z.record(z.string(), z.unknown()).default({}),
    /** Entity references: the entity type and bundles they may point at. */
    target_type: z.string().nullable().default(null),
    target_bundles: z.array(z.string()).nullable().default(null),
    /** List fields: the allowed keys. */
    allowed_values: z
      .array(z.union([z.string(), z.number()]))
      .nullable()
      .default(null),
  }),
)

export const bundleSchema = z.lazy(() =>
  z.object({
    id: z.string(),
    label: z.string(),
    translatable: z.boolean().default(false),
    fields: z.record(z.string(), fieldSchema),
  }),
)

export const entityTypeSchema = z.lazy(() =>
  z.object({
    id: z.string(),
    label: z.string(),
    provider: z.string(),
    group: z.string().nullable(),
    keys: z.record(z.string(), z.union([z.string(), z.boolean()])),
    bundle_entity_type: z.string().nullable(),
    base_table: z.string().nullable(),
    revisionable: z.boolean(),
    translatable: z.boolean(),
    /** Content entity types only; config entity types have none. */
    bundles: z.record(z.string(), bundleSchema),
  }),
)

/** Everything the resources serve about a site's structure. */
export const siteMetadataSchema = z.lazy(() =>
  z.object({
    source: z.object({ kind: z.enum(['drush', 'config']), detail: z.string() }),
    harvested_at: z.string(),
    drupal_version: z.string().nullable().default(null),
    entity_types: z.record(z.string(), entityTypeSchema),
    /** Allowlisted state values (drush.state.keys); empty without Drush. */
    state: z.record(z.string(), z.unknown()).default({}),
    /** Allowlisted config values (drush.state.config), keyed `name:key.path`. */
    config: z.record(z.string(), z.unknown()).default({}),
    /**
     * Facts this source cannot know, so a comparison with another source never reports them
     * as changes: `drupal_version`, `state`, `entity_type:<id>` (not defined here), `base_fields:<id>`
     * (other modules may add base fields), `module:<name>` (a module whose additions are unknown).
     */
    unknown: z.array(z.string()).default([]),
  }),
)

export type FieldMeta = z.output<typeof fieldSchema>
export type BundleMeta = z.output<typeof bundleSchema>
export type EntityTypeMeta = z.output<typeof entityTypeSchema>
export type SiteMetadata = z.output<typeof siteMetadataSchema>
