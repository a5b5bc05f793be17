import type { BundleMeta, EntityTypeMeta, FieldMeta, SiteMetadata } from './model.js'

type Schema = Record<string, unknown>

const DIALECT = 'https://json-schema.org/draft/2020-12/schema'

const text = (extra: Schema = {}): Schema => ({
  type: 'object',
  properties: { value: { type: 'string' }, format: { type: ['string', 'null'] }, ...extra },
  required: ['value'],
})

// What one item of each Drupal field type looks like in JSON (as core's serializer writes it,
// with single-property items flattened to their value).
const ITEM: Record<string, (field: FieldMeta) => Schema> = {
  string: (f) => ({
    type: 'string',
    ...(typeof f.settings.max_length === 'number' ? { maxLength: f.settings.max_length } : {}),
  }),
  string_long: () => ({ type: 'string' }),
  uuid: () => ({ type: 'string', format: 'uuid' }),
  language: () => ({ type: 'string', description: 'a language code' }),
  email: () => ({ type: 'string', format: 'email' }),
  telephone: () => ({ type: 'string' }),
  uri: () => ({ type: 'string', format: 'uri' }),
  file_uri: () => ({ type: 'string' }),
  password: () => ({ type: 'string', writeOnly: true }),
  boolean: () => ({ type: 'boolean' }),
  integer: () => ({ type: 'integer' }),
  decimal: () => ({ type: 'number' }),
  float: () => ({ type: 'number' }),
  timestamp: () => ({ type: 'integer', description: 'Unix time' }),
  created: () => ({ type: 'integer', description: 'Unix time' }),
  changed: () => ({ type: 'integer', description: 'Unix time' }),
  datetime: (f) => ({ type: 'string', format: f.settings.datetime_type === 'date' ? 'date' : 'date-time' }),
  daterange: () => ({
    type: 'object',
    properties: { value: { type: 'string' }, end_value: { type: 'string' } },
    required: ['value'],
  }),
  list_string: () => ({ type: 'string' }),
  list_integer: () => ({ type: 'integer' }),
  list_float: () => ({ type: 'number' }),
  text: () => text(),
  text_long: () => text(),
  text_with_summary: () => text({ summary: { type: 'string' } }),
  link: () => ({
    type: 'object',
    properties: { uri: { type: 'string' }, title: { type: ['string', 'null'] } },
    required: ['uri'],
  }),
  path: () => ({ type: 'object', properties: { alias: { type: 'string' } } }),
  entity_reference: (f) => reference(f),
  entity_reference_revisions: (f) => reference(f, { target_revision_id: { type: 'integer' } }),
  image: (f) => reference(f, { alt: { type: 'string' }, title: { type: 'string' } }),
  file: (f) => reference(f, { description: { type: 'string' }, display: { type: 'boolean' } }),
}

function reference(field: FieldMeta, extra: Schema = {}): Schema {
  return {
    type: 'object',
    properties: { target_id: { type: ['integer', 'string'] }, ...extra },
    required: ['target_id'],
    'x-target-type': field.target_type,
    ...(field.target_bundles ? { 'x-target-bundles': field.target_bundles } : {}),
  }
}

/** One field as a JSON Schema property: cardinality makes arrays, allowed values make enums. */
export function fieldProperty(field: FieldMeta): Schema {
  const item: Schema = (ITEM[field.type] ?? (() => ({})))(field)
  if (field.allowed_values) item.enum = field.allowed_values
  const described = {
    title: field.label,
    description: field.description ? `${field.label}: ${field.description}` : field.label,
    'x-drupal-field-type': field.type,
    ...(field.base ? { 'x-base-field': true } : {}),
  }
  if (field.cardinality === 1) return { ...item, ...described }
  return {
    type: 'array',
    items: item,
    ...(field.required ? { minItems: 1 } : {}),
    ...(field.cardinality > 1 ? { maxItems: field.cardinality } : {}),
    ...described,
  }
}

function objectSchema(id: string, title: string, fields: readonly FieldMeta[], extra: Schema): Schema {
  return {
    $schema: DIALECT,
    $id: id,
    title,
    type: 'object',
    properties: Object.fromEntries(fields.map((f) => [f.name, fieldProperty(f)])),
    required: fields.filter((f) => f.required).map((f) => f.name),
    ...extra,
  }
}

/** The schema of one bundle: its base and configurable fields. */
export function bundleSchema(type: EntityTypeMeta, bundle: BundleMeta): Schema {
  return objectSchema(
    `driftcore://schema/fields/${type.id}/${bundle.id}`,
    `${bundle.label} (${type.label})`,
    Object.values(bundle.fields),
    { 'x-entity-type': type.id, 'x-bundle': bundle.id, 'x-translatable': bundle.translatable },
  )
}

/** The schema of an entity type: the fields every bundle shares, and the type's definition. */
export function entityTypeSchema(type: EntityTypeMeta): Schema {
  const bundles = Object.values(type.bundles)
  const shared = bundles.length === 0 ? [] : Object.values(bundles[0]!.fields).filter((f) => f.base)
  return objectSchema(`driftcore://schema/entity-types/${type.id}`, type.label, shared, {
    'x-entity-type': {
      id: type.id,
      provider: type.provider,
      group: type.group,
      keys: type.keys,
      bundle_entity_type: type.bundle_entity_type,
      base_table: type.base_table,
      revisionable: type.revisionable,
      translatable: type.translatable,
    },
    'x-bundles': Object.fromEntries(
      bundles.map((b) => [b.id, `driftcore://schema/fields/${type.id}/${b.id}`]),
    ),
  })
}

export function fieldSchemas(metadata: SiteMetadata, entityType?: string): Schema[] {
  return Object.values(metadata.entity_types)
    .filter((t) => entityType === undefined || t.id === entityType)
    .flatMap((t) => Object.values(t.bundles).map((b) => bundleSchema(t, b)))
}
