import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { siteMetadataSchema } from '../../src/metadata/model.js'
import { HARVEST_SCRIPT } from '../../src/metadata/harvest.js'

const API_STAND_IN = path.resolve(import.meta.dirname, '../stand-in/drupal-api-stand-in.php')

// A tiny site for the Drupal API stand-in: one content type with a base field override-free
// set of fields, a vocabulary as a config entity type, one list field and a reference.
const MODEL = {
  version: '11.1.0',
  entity_types: {
    node: {
      id: 'node',
      label: 'Content',
      provider: 'node',
      group: 'content',
      keys: { id: 'nid', bundle: 'type', label: 'title', uuid: 'uuid' },
      bundle_entity_type: 'node_type',
      base_table: 'node',
      revisionable: true,
      translatable: true,
      fieldable: true,
    },
    node_type: {
      id: 'node_type',
      label: 'Content type',
      provider: 'node',
      group: 'configuration',
      keys: { id: 'type', label: 'name' },
      bundle_entity_type: null,
      base_table: null,
      revisionable: false,
      translatable: false,
      fieldable: false,
    },
  },
  bundles: { node: { recipe: { label: 'Recipe', translatable: true } } },
  fields: {
    node: {
      recipe: {
        title: {
          name: 'title',
          type: 'string',
          label: 'Title',
          description: '',
          required: true,
          translatable: true,
          cardinality: 1,
          base: true,
          settings: { max_length: 255 },
        },
        field_course: {
          name: 'field_course',
          type: 'list_string',
          label: 'Course',
          description: 'Which course',
          required: false,
          translatable: false,
          cardinality: 1,
          base: false,
          settings: { allowed_values: { starter: 'Starter', main: 'Main' } },
        },
        field_tags: {
          name: 'field_tags',
          type: 'entity_reference',
          label: 'Tags',
          description: '',
          required: false,
          translatable: true,
          cardinality: -1,
          base: false,
          settings: {
            target_type: 'taxonomy_term',
            handler: 'default:taxonomy_term',
            handler_settings: { target_bundles: { tags: 'tags' } },
          },
        },
      },
    },
  },
  state: { 'system.cron_last': 1732000000, 'system.private_key': 'must-not-leak-4471' },
  config: { 'system.site': { name: 'Recipes', page: { front: '/node' } } },
}

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-php-'))
  await writeFile(path.join(dir, 'model.json'), JSON.stringify(MODEL))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

async function harvest(extra: string[]) {
  const run = await execa('php', [API_STAND_IN, path.join(dir, 'model.json'), HARVEST_SCRIPT, ...extra])
  const text = String(run.stdout)
  const json = text.slice(
    text.indexOf('DRIFTCORE-METADATA-BEGIN') + 24,
    text.indexOf('DRIFTCORE-METADATA-END'),
  )
  return siteMetadataSchema.parse({ ...JSON.parse(json), source: { kind: 'drush', detail: 'php' } })
}

describe('the metadata harvest script (real PHP, stand-in Drupal APIs)', () => {
  it('passes php -l', async () => {
    const lint = await execa('php', ['-l', HARVEST_SCRIPT], { reject: false })
    expect(lint.exitCode).toBe(0)
    expect(String(lint.stdout)).toContain('No syntax errors')
  })

  it('prints entity types with keys, provider, group and flags, and fields with base fields included', async () => {
    const m = await harvest([])
    expect(m.drupal_version).toBe('11.1.0')
    expect(m.entity_types.node).toMatchObject({
      label: 'Content',
      provider: 'node',
      group: 'content',
      keys: { id: 'nid', bundle: 'type', label: 'title', uuid: 'uuid', default_langcode: 'default_langcode' },
      bundle_entity_type: 'node_type',
      base_table: 'node',
      revisionable: true,
      translatable: true,
    })
    expect(m.entity_types.node_type!.bundles).toEqual({})
    const recipe = m.entity_types.node!.bundles.recipe!
    expect(recipe).toMatchObject({ label: 'Recipe', translatable: true })
    expect(recipe.fields.title).toMatchObject({
      base: true,
      required: true,
      cardinality: 1,
      type: 'string',
      label: 'Title',
    })
    expect(recipe.fields.field_tags).toMatchObject({
      base: false,
      cardinality: -1,
      target_type: 'taxonomy_term',
      target_bundles: ['tags'],
    })
    expect(recipe.fields.field_course).toMatchObject({
      allowed_values: ['starter', 'main'],
      description: 'Which course',
    })
  })

  it('limits itself to the entity types asked for, and reads only allowlisted state and config, never secret-looking keys', async () => {
    const m = await harvest([
      '--entity-type=node_type',
      '--state=system.cron_last',
      '--state=system.private_key',
      '--config=system.site:page.front',
    ])
    expect(Object.keys(m.entity_types)).toEqual(['node_type'])
    expect(m.state).toEqual({ 'system.cron_last': 1732000000 })
    expect(m.config).toEqual({ 'system.site:page.front': '/node' })
  })
})
