// Part of the Drush STAND-IN: the Drupal site model the PHP API stand-in serves, built from a
// folder of active config. Entity type definitions and base fields are the stand-in's own,
// written from Drupal core's entity type attributes (a few per type, enough to test with).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'

const content = (id, label, provider, keys, bundleEntityType, baseTable, bundleConfig) => ({
  id,
  label,
  provider,
  group: 'content',
  keys,
  bundle_entity_type: bundleEntityType,
  base_table: baseTable,
  revisionable: true,
  translatable: true,
  fieldable: true,
  bundle_config: bundleConfig,
})
const configType = (id, label, provider) => ({
  id,
  label,
  provider,
  group: 'configuration',
  keys: { id: 'id', label: 'label', uuid: 'uuid' },
  bundle_entity_type: null,
  base_table: null,
  revisionable: false,
  translatable: false,
  fieldable: false,
})

const TYPES = {
  node: content(
    'node',
    'Content',
    'node',
    { id: 'nid', revision: 'vid', bundle: 'type', label: 'title', uuid: 'uuid', langcode: 'langcode' },
    'node_type',
    'node',
    ['node.type.', 'type', 'name'],
  ),
  taxonomy_term: content(
    'taxonomy_term',
    'Taxonomy term',
    'taxonomy',
    { id: 'tid', bundle: 'vid', label: 'name', uuid: 'uuid' },
    'taxonomy_vocabulary',
    'taxonomy_term_data',
    ['taxonomy.vocabulary.', 'vid', 'name'],
  ),
  media: content(
    'media',
    'Media',
    'media',
    { id: 'mid', bundle: 'bundle', label: 'name', uuid: 'uuid' },
    'media_type',
    'media',
    ['media.type.', 'id', 'label'],
  ),
  paragraph: content(
    'paragraph',
    'Paragraph',
    'paragraphs',
    { id: 'id', bundle: 'type', uuid: 'uuid' },
    'paragraphs_type',
    'paragraphs_item',
    ['paragraphs.paragraphs_type.', 'id', 'label'],
  ),
  block_content: content(
    'block_content',
    'Content block',
    'block_content',
    { id: 'id', bundle: 'type', label: 'info', uuid: 'uuid' },
    'block_content_type',
    'block_content',
    ['block_content.type.', 'id', 'label'],
  ),
  user: {
    ...content('user', 'User', 'user', { id: 'uid', uuid: 'uuid' }, null, 'users', null),
    revisionable: false,
  },
  node_type: configType('node_type', 'Content type', 'node'),
  taxonomy_vocabulary: configType('taxonomy_vocabulary', 'Taxonomy vocabulary', 'taxonomy'),
  view: configType('view', 'View', 'views'),
}

const base = (name, type, label, extra = {}) => ({
  name,
  type,
  label,
  description: '',
  required: false,
  translatable: false,
  cardinality: 1,
  base: true,
  settings: {},
  ...extra,
})
const BASE_FIELDS = {
  node: [
    base('nid', 'integer', 'ID'),
    base('uuid', 'uuid', 'UUID'),
    base('title', 'string', 'Title', { required: true, translatable: true, settings: { max_length: 255 } }),
    base('uid', 'entity_reference', 'Authored by', { settings: { target_type: 'user' } }),
    base('status', 'boolean', 'Published'),
    base('created', 'created', 'Authored on'),
  ],
  taxonomy_term: [
    base('tid', 'integer', 'Term ID'),
    base('name', 'string', 'Name', { required: true }),
    base('parent', 'entity_reference', 'Term Parents', {
      cardinality: -1,
      settings: { target_type: 'taxonomy_term' },
    }),
  ],
  media: [base('mid', 'integer', 'ID'), base('name', 'string', 'Name', { required: true })],
  paragraph: [base('id', 'integer', 'ID'), base('status', 'boolean', 'Published')],
  block_content: [
    base('id', 'integer', 'ID'),
    base('info', 'string', 'Block description', { required: true }),
  ],
  user: [
    base('uid', 'integer', 'User ID'),
    base('name', 'string', 'Name', { required: true }),
    base('mail', 'email', 'Email'),
    base('roles', 'entity_reference', 'Roles', { cardinality: -1, settings: { target_type: 'user_role' } }),
  ],
}

function loadActive(dir) {
  const objects = new Map()
  if (!existsSync(dir)) return objects
  for (const file of readdirSync(dir))
    if (file.endsWith('.yml'))
      objects.set(file.slice(0, -4), parse(readFileSync(path.join(dir, file), 'utf8')))
  return objects
}

// At run time Drupal holds list options as key => label, not as the exported [{value, label}].
function runtimeSettings(storage = {}, field = {}) {
  const settings = { ...storage, ...field }
  if (Array.isArray(settings.allowed_values))
    settings.allowed_values = Object.fromEntries(settings.allowed_values.map((o) => [o.value, o.label]))
  return settings
}

export function entityModel(activeDir, { state = {}, config = [] }) {
  const objects = loadActive(activeDir)
  const byPrefix = (prefix) => [...objects].filter(([n]) => n.startsWith(prefix))
  const bundles = {}
  const fields = {}
  for (const type of Object.values(TYPES).filter((t) => t.fieldable)) {
    const [prefix, idKey, labelKey] = type.bundle_config ?? []
    const list = prefix
      ? byPrefix(prefix).map(([, v]) => ({ id: v[idKey], label: v[labelKey] }))
      : [{ id: type.id, label: type.label }]
    bundles[type.id] = {}
    fields[type.id] = {}
    for (const b of list) {
      const language = objects.get(`language.content_settings.${type.id}.${b.id}`)
      bundles[type.id][b.id] = {
        label: b.label,
        translatable: language?.third_party_settings?.content_translation?.enabled === true,
      }
      const own = {}
      for (const f of BASE_FIELDS[type.id] ?? []) own[f.name] = f
      for (const [, f] of byPrefix(`field.field.${type.id}.${b.id}.`)) {
        const storage = objects.get(`field.storage.${type.id}.${f.field_name}`) ?? {}
        own[f.field_name] = {
          name: f.field_name,
          type: f.field_type,
          label: f.label,
          description: f.description ?? '',
          required: f.required === true,
          translatable: f.translatable === true,
          cardinality: storage.cardinality ?? 1,
          base: false,
          settings: runtimeSettings(storage.settings, f.settings),
          default_value: f.default_value ?? null,
          default_value_callback: f.default_value_callback ?? '',
        }
      }
      fields[type.id][b.id] = own
    }
  }
  const types = Object.fromEntries(
    Object.entries(TYPES).map(([id, t]) => [
      id,
      Object.fromEntries(Object.entries(t).filter(([k]) => k !== 'bundle_config')),
    ]),
  )
  return {
    version: '11.1.0',
    entity_types: types,
    bundles,
    fields,
    state,
    config: Object.fromEntries(config.map((n) => [n, objects.get(n) ?? null])),
  }
}
