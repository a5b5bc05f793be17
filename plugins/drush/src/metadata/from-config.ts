import type { ConfigSet } from '../configset/config-set.js'
import { asText } from '../util/text.js'
import type { YamlReader } from '../yaml/read.js'
import { BUNDLE_CONFIG, coreDefinitions, type CoreDefinition } from './core-definitions.js'
import { baseField, CORE_ENTITY_TYPES } from './core-entity-types.js'
import type { BundleMeta, EntityTypeMeta, FieldMeta, SiteMetadata } from './model.js'
import { configValues } from './values.js'

type Yaml = Record<string, unknown>

const PREFIXES = [
  'core.extension',
  'field.storage.',
  'field.field.',
  'core.base_field_override.',
  'language.content_settings.',
  ...Object.values(BUNDLE_CONFIG).map(([prefix]) => prefix),
  ...Object.values(CORE_ENTITY_TYPES).flatMap((t) => (t.bundle_prefix ? [t.bundle_prefix] : [])),
]

/** The config objects metadata is read from (the rest of an export is never parsed). */
export function metadataObjects(configKeys: readonly string[]): (name: string) => boolean {
  const values = new Set(configKeys.map((k) => k.slice(0, k.indexOf(':'))))
  return (name) =>
    !name.includes(':') && (values.has(name) || PREFIXES.some((p) => name === p || name.startsWith(p)))
}

/**
 * A site's entity types, bundles and fields read from its config export alone, for when no
 * Drush is reachable (and for the demo). Entity types and base fields come from core's
 * definitions (core-definitions.ts) for the modules core.extension enables; bundles from their
 * config entities (node.type.*, taxonomy.vocabulary.*…), fields from field.storage.* and
 * field.field.*, base field overrides from core.base_field_override.*, translatability from
 * language.content_settings.*. What config alone cannot know is listed in `unknown`.
 */
export function metadataFromConfig(
  set: ConfigSet,
  options: { parse: YamlReader; configKeys: readonly string[] },
): SiteMetadata {
  const wanted = metadataObjects(options.configKeys)
  const objects = new Map<string, Yaml>()
  for (const [name, file] of set.objects) {
    if (!file.bytes || !wanted(name)) continue
    const value = options.parse(file.bytes.toString('utf8'), `${set.label}/${file.file}`)
    if (value !== null && typeof value === 'object') objects.set(name, value as Yaml)
  }
  const byPrefix = (prefix: string) => [...objects].filter(([name]) => name.startsWith(prefix))
  const modules = objects.get('core.extension')?.module as Yaml | undefined
  const enabled = (provider: string) => provider === 'core' || (modules ? provider in modules : false)
  const storages = new Map(
    byPrefix('field.storage.').map(([, v]) => [`${str(v.entity_type)}.${str(v.field_name)}`, v]),
  )
  const fields = byPrefix('field.field.').map(([, v]) => v)
  const overrides = byPrefix('core.base_field_override.').map(([, v]) => v)
  const core = coreDefinitions()
  const unknown = new Set<string>()

  const typeIds = new Set<string>()
  for (const [id, type] of Object.entries(core.entity_types)) if (enabled(type.provider)) typeIds.add(id)
  for (const [id, type] of Object.entries(CORE_ENTITY_TYPES)) {
    const evidence =
      (type.bundle_prefix && byPrefix(type.bundle_prefix).length > 0) ||
      fields.some((f) => f.entity_type === id)
    if (enabled(type.provider) || evidence) typeIds.add(id)
  }
  for (const storage of storages.values()) typeIds.add(str(storage.entity_type))
  // Modules the definitions were not taken with may add entity types and base fields.
  const others = Object.keys(modules ?? {}).filter((m) => !core.modules.includes(m))
  for (const m of others) unknown.add(`module:${m}`)

  const entityTypes: Record<string, EntityTypeMeta> = {}
  for (const id of [...typeIds].sort()) {
    const definition = core.entity_types[id] ?? legacyDefinition(id)
    if (!core.entity_types[id]) unknown.add(`entity_type:${id}`)
    else if (others.length > 0) unknown.add(`base_fields:${id}`)
    const { base_fields: baseFields, ...type } = definition
    const bundles: Record<string, BundleMeta> = {}
    for (const bundle of bundlesOf(type, byPrefix)) {
      const language = objects.get(`language.content_settings.${id}.${bundle.id}`)
      const translation = (
        (language?.third_party_settings as Yaml | undefined)?.content_translation as Yaml | undefined
      )?.enabled
      const list = Object.values(baseFields).map((f) => bundleBaseField(f, id, bundle.id, objects))
      for (const o of overrides.filter((o) => o.entity_type === id && o.bundle === bundle.id)) {
        const i = list.findIndex((f) => f.name === o.field_name)
        if (i >= 0) list[i] = overridden(list[i]!, o)
      }
      for (const f of fields.filter((f) => f.entity_type === id && f.bundle === bundle.id)) {
        list.push(configuredField(f, storages.get(`${id}.${str(f.field_name)}`)))
      }
      bundles[bundle.id] = {
        id: bundle.id,
        label: bundle.label,
        translatable: translation === true,
        fields: Object.fromEntries(list.map((f) => [f.name, f])),
      }
    }
    entityTypes[id] = { ...type, bundles }
  }
  return {
    source: { kind: 'config', detail: set.label },
    harvested_at: new Date().toISOString(),
    drupal_version: null,
    entity_types: entityTypes,
    state: {},
    config: configValues(objects, options.configKeys),
    unknown: ['drupal_version', 'state', ...[...unknown].sort()],
  }
}

/** Core types the definitions lack (media, paragraphs…), from the hand-written list. */
function legacyDefinition(id: string): CoreDefinition {
  const legacy = CORE_ENTITY_TYPES[id]
  if (!legacy) {
    return {
      id,
      label: id,
      provider: 'unknown',
      group: 'content',
      keys: {},
      bundle_entity_type: null,
      base_table: null,
      revisionable: false,
      translatable: false,
      base_fields: {},
    }
  }
  const { base_fields: list, bundle_prefix: _prefix, bundle_keys: _keys, ...type } = legacy
  return { ...type, base_fields: Object.fromEntries(list.map((b) => [b[0], baseField(b)])) }
}

/** A type's bundles: its bundle config entities, or one bundle named like the type. */
function bundlesOf(
  type: Omit<CoreDefinition, 'base_fields'>,
  byPrefix: (prefix: string) => [string, Yaml][],
): { id: string; label: string }[] {
  if (type.group === 'configuration') return []
  const legacy = CORE_ENTITY_TYPES[type.id]
  const config = type.bundle_entity_type
    ? BUNDLE_CONFIG[type.bundle_entity_type]
    : legacy?.bundle_prefix
      ? ([legacy.bundle_prefix, ...legacy.bundle_keys] as const)
      : undefined
  if (!config) return [{ id: type.id, label: type.label }]
  const [prefix, idKey, labelKey] = config
  return byPrefix(prefix)
    .map(([name, v]) => ({
      id: str(v[idKey] ?? name.slice(prefix.length)),
      label: str(v[labelKey] ?? v.label ?? v.name),
    }))
    .sort((a, b) => a.id.localeCompare(b.id))
}

/**
 * A base field as one bundle has it: core computes a few per bundle (a term's parents point
 * at its own vocabulary; a comment's entity_id at its comment type's target entity type).
 */
function bundleBaseField(
  field: FieldMeta,
  type: string,
  bundle: string,
  objects: Map<string, Yaml>,
): FieldMeta {
  if (type === 'taxonomy_term' && field.name === 'parent') {
    const handler = { ...((field.settings.handler_settings as Yaml | undefined) ?? {}) }
    handler.target_bundles = { [bundle]: bundle }
    return { ...field, settings: { ...field.settings, handler_settings: handler }, target_bundles: [bundle] }
  }
  if (type === 'comment' && field.name === 'entity_id') {
    const target = objects.get(`comment.type.${bundle}`)?.target_entity_type_id
    if (typeof target === 'string') {
      return { ...field, target_type: target, settings: { ...field.settings, target_type: target } }
    }
  }
  return field
}

function configuredField(field: Yaml, storage: Yaml | undefined): FieldMeta {
  const storageSettings = (storage?.settings as Yaml | undefined) ?? {}
  const fieldSettings = (field.settings as Yaml | undefined) ?? {}
  const handler = fieldSettings.handler_settings as Yaml | undefined
  const targets = handler?.target_bundles as Yaml | null | undefined
  return {
    name: str(field.field_name),
    label: str(field.label ?? field.field_name),
    description: str(field.description ?? ''),
    type: str(field.field_type ?? storage?.type),
    required: field.required === true,
    cardinality: typeof storage?.cardinality === 'number' ? storage.cardinality : 1,
    base: false,
    translatable: field.translatable === true,
    settings: runtimeSettings({ ...storageSettings, ...fieldSettings }),
    target_type: typeof storageSettings.target_type === 'string' ? storageSettings.target_type : null,
    target_bundles: targets && typeof targets === 'object' ? Object.keys(targets).sort() : null,
    allowed_values: allowedValues(storageSettings.allowed_values),
  }
}

// At run time Drupal holds list options as value => label, not as the exported [{value, label}].
function runtimeSettings(settings: Yaml): Yaml {
  const options = settings.allowed_values
  if (!Array.isArray(options) || !options.every((o) => o !== null && typeof o === 'object')) return settings
  return {
    ...settings,
    allowed_values: Object.fromEntries(options.map((o) => [String((o as Yaml).value), (o as Yaml).label])),
  }
}

/** Config stores list options as [{value, label}] (Drupal 10.2+) or as a map (older exports). */
function allowedValues(raw: unknown): (string | number)[] | null {
  if (Array.isArray(raw)) {
    return raw.map((o) => (o !== null && typeof o === 'object' ? (o as Yaml).value : o) as string | number)
  }
  if (raw !== null && typeof raw === 'object') return Object.keys(raw)
  return null
}

function overridden(field: FieldMeta, override: Yaml): FieldMeta {
  return {
    ...field,
    label: typeof override.label === 'string' ? override.label : field.label,
    description: typeof override.description === 'string' ? override.description : field.description,
    required: typeof override.required === 'boolean' ? override.required : field.required,
    translatable: typeof override.translatable === 'boolean' ? override.translatable : field.translatable,
    settings: { ...field.settings, ...((override.settings as Yaml | undefined) ?? {}) },
  }
}

const str = (value: unknown): string => asText(value)
