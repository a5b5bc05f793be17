import { DriftcoreError, defineResource } from 'driftcore/api'
import { bundleSchema, entityTypeSchema, fieldSchemas } from '../metadata/json-schema.js'
import type { SiteMetadata } from '../metadata/model.js'
import { currentMetadata, json } from './metadata-source.js'

const source = (m: SiteMetadata) => ({ ...m.source, harvested_at: m.harvested_at })

function entityType(m: SiteMetadata, id: string) {
  const type = m.entity_types[id]
  if (!type) {
    throw new DriftcoreError('not_found', `the site has no entity type "${id}"`, {
      hint: `known: ${Object.keys(m.entity_types).join(', ')}`,
    })
  }
  return type
}

export const entityTypes = defineResource({
  uri: 'driftcore://schema/entity-types',
  name: 'schema.entityTypes',
  title: 'Entity types as JSON Schema',
  description:
    'One JSON Schema per entity type: its shared base fields, keys, bundle entity type, base table, revisionable, translatable, and links to its bundles.',
  mimeType: 'application/json',
  async read(_params, ctx) {
    const m = await currentMetadata(ctx)
    return json({ source: source(m), schemas: Object.values(m.entity_types).map(entityTypeSchema) })
  },
})

export const oneEntityType = defineResource({
  uri: 'driftcore://schema/entity-types/{entity_type}',
  name: 'schema.entityType',
  title: 'One entity type as JSON Schema',
  description: 'The JSON Schema of one entity type (see schema.entityTypes).',
  mimeType: 'application/schema+json',
  async read({ entity_type }, ctx) {
    return json(entityTypeSchema(entityType(await currentMetadata(ctx), entity_type!)))
  },
})

export const fields = defineResource({
  uri: 'driftcore://schema/fields',
  name: 'schema.fields',
  title: 'Bundles and their fields as JSON Schema',
  description:
    'One JSON Schema per entity type and bundle: Drupal field types map to JSON types, cardinality to arrays, required fields to `required`, allowed values to `enum`; entity references name their target type and bundles; descriptions come from field labels.',
  mimeType: 'application/json',
  async read(_params, ctx) {
    const m = await currentMetadata(ctx)
    return json({ source: source(m), schemas: fieldSchemas(m) })
  },
})

export const fieldsOfType = defineResource({
  uri: 'driftcore://schema/fields/{entity_type}',
  name: 'schema.fieldsOfEntityType',
  title: "An entity type's bundles as JSON Schema",
  description: 'The field schemas of every bundle of one entity type (see schema.fields).',
  mimeType: 'application/json',
  async read({ entity_type }, ctx) {
    const m = await currentMetadata(ctx)
    entityType(m, entity_type!)
    return json({ source: source(m), schemas: fieldSchemas(m, entity_type) })
  },
})

export const fieldsOfBundle = defineResource({
  uri: 'driftcore://schema/fields/{entity_type}/{bundle}',
  name: 'schema.fieldsOfBundle',
  title: 'One bundle as JSON Schema',
  description: 'The field schema of one bundle (see schema.fields).',
  mimeType: 'application/schema+json',
  async read({ entity_type, bundle }, ctx) {
    const type = entityType(await currentMetadata(ctx), entity_type!)
    const found = type.bundles[bundle!]
    if (!found) {
      throw new DriftcoreError('not_found', `${type.id} has no bundle "${bundle}"`, {
        hint: `known: ${Object.keys(type.bundles).join(', ')}`,
      })
    }
    return json(bundleSchema(type, found))
  },
})
