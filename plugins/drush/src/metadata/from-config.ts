import type { ConfigSet } from '../configset/config-set.js'
import { asText } from '../util/text.js'
import type { YamlReader } from '../yaml/read.js'
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
 * Drush is reachable (and for the demo). Bundles come from their config entities
 * (node.type.*, taxonomy.vocabulary.*…), fields from field.storage.* and field.field.*,
 * translatability from language.content_settings.*; base fields from core's definitions.
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
  const storages = new Map(
    byPrefix('field.storage.').map(([, v]) => [`${str(v.entity_type)}.${str(v.field_name)}`, v]),
  )
  const fields = byPrefix('field.field.').map(([, v]) => v)
  const overrides = byPrefix('core.base_field_override.').map(([, v]) => v)

  const typeIds = new Set<string>()
  for (const [id, type] of Object.entries(CORE_ENTITY_TYPES)) {
    const enabled = modules ? type.provider in modules : false
    const evidence =
      (type.bundle_prefix && byPrefix(type.bundle_prefix).length > 0) ||
      fields.some((f) => f.entity_type === id)
    if (enabled || evidence) typeIds.add(id)
  }
  for (const storage of storages.values()) typeIds.add(str(storage.entity_type))

  const entityTypes: Record<string, EntityTypeMeta> = {}
  for (const id of [...typeIds].sort()) {
    const core = CORE_ENTITY_TYPES[id]
    const bundles: Record<string, BundleMeta> = {}
    const bundleList = core?.bundle_prefix
      ? byPrefix(core.bundle_prefix).map(([name, v]) => ({
          id: str(v[core.bundle_keys[0]] ?? name.slice(core.bundle_prefix!.length)),
          label: str(v[core.bundle_keys[1]] ?? v.label ?? v.name),
        }))
      : [{ id, label: core?.label ?? id }]
    for (const bundle of bundleList.sort((a, b) => a.id.localeCompare(b.id))) {
      const language = objects.get(`language.content_settings.${id}.${bundle.id}`)
      const translation = (
        (language?.third_party_settings as Yaml | undefined)?.content_translation as Yaml | undefined
      )?.enabled
      const list: FieldMeta[] = (core?.base_fields ?? []).map((b) => baseField(b))
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
    entityTypes[id] = core
      ? {
          id,
          label: core.label,
          provider: core.provider,
          group: core.group,
          keys: core.keys,
          bundle_entity_type: core.bundle_entity_type,
          base_table: core.base_table,
          revisionable: core.revisionable,
          translatable: core.translatable,
          bundles,
        }
      : {
          id,
          label: id,
          provider: 'unknown',
          group: 'content',
          keys: {},
          bundle_entity_type: null,
          base_table: null,
          revisionable: false,
          translatable: false,
          bundles,
        }
  }
  return {
    source: { kind: 'config', detail: set.label },
    harvested_at: new Date().toISOString(),
    drupal_version: null,
    entity_types: entityTypes,
    state: {},
    config: configValues(objects, options.configKeys),
  }
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
    settings: { ...storageSettings, ...fieldSettings },
    target_type: typeof storageSettings.target_type === 'string' ? storageSettings.target_type : null,
    target_bundles: targets && typeof targets === 'object' ? Object.keys(targets).sort() : null,
    allowed_values: allowedValues(storageSettings.allowed_values),
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
