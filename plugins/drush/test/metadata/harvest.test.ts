import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Kernel } from '../../../../src/kernel/open.js'
import { tempProject, type TempProject } from '../../../../test/helpers/project.js'
import type { MetadataDelta } from '../../src/metadata/compare.js'
import type { EntityTypeMeta } from '../../src/metadata/model.js'
import { DRUPAL, drushKernel, mutatedCopy, standInConfig, standInSite } from '../helpers/site.js'

let project: TempProject
let kernel: Kernel
let site: string
const agent = { type: 'agent', id: 'schema-bot' }

beforeEach(async () => {
  project = await tempProject()
  site = await standInSite(project, { active: DRUPAL.standard10 })
  await writeFile(path.join(project.home, 'config.yaml'), standInConfig(site))
  kernel = await drushKernel(project)
})
afterEach(async () => {
  await kernel.close()
  await project.cleanup()
})

const harvest = async (input: Record<string, unknown> = {}) =>
  (await kernel.gate.invoke('drush.metadataHarvest', input, agent)).output as {
    snapshot: { id: string; source: { kind: string }; entity_types: number; bundles: number; fields: number }
    previous: string | null
    summary: { fields: { changed: number; added: number } } | null
  }

const schema = async (uri: string) =>
  JSON.parse((await kernel.gate.read(uri, agent)).text) as Record<string, any>

describe('metadata harvest through Drush (stand-in Drush, real PHP running the harvest script)', () => {
  it('keeps a snapshot of entity types, bundles and fields that the schema resources then serve', async () => {
    const out = await harvest()
    expect(out.snapshot.source.kind).toBe('drush')
    expect(out.previous).toBeNull()
    expect(out.snapshot.entity_types).toBeGreaterThanOrEqual(6)
    const article = await schema('driftcore://schema/fields/node/article')
    expect(article.properties.field_tags).toMatchObject({
      type: 'array',
      'x-drupal-field-type': 'entity_reference',
    })
    expect(article.properties.field_tags.items).toMatchObject({
      'x-target-type': 'taxonomy_term',
      'x-target-bundles': ['tags'],
    })
    expect(article.properties.title['x-base-field']).toBe(true)
    const state = JSON.parse((await kernel.gate.read('driftcore://config/state', agent)).text) as Record<
      string,
      any
    >
    expect(state.state).toEqual({
      'system.cron_last': 1732000000,
      'system.maintenance_mode': 0,
      install_time: null,
    })
    expect(state.config['system.site:page.front']).toBe('/node')
  })

  it('reports what changed since the previous harvest, and drush.metadataCompare names the field and its cardinality', async () => {
    await harvest()
    const storage = path.join(site, 'active/field.storage.node.field_tags.yml')
    const { readFile } = await import('node:fs/promises')
    await writeFile(storage, (await readFile(storage, 'utf8')).replace('cardinality: -1', 'cardinality: 5'))
    const second = await harvest()
    expect(second.previous).not.toBeNull()
    expect(second.summary!.fields.changed).toBe(1)
    const compared = (await kernel.gate.invoke('drush.metadataCompare', {}, agent)).output as {
      deltas: MetadataDelta[]
    }
    expect(compared.deltas).toEqual([
      {
        kind: 'field',
        change: 'changed',
        id: 'node.article.field_tags',
        properties: { cardinality: { before: -1, after: 5 } },
      },
    ])
  })

  it('drush.entitySchema refreshes one entity type and keeps the rest of the latest snapshot', async () => {
    await harvest()
    await writeFile(
      path.join(site, 'active/taxonomy.vocabulary.genre.yml'),
      "langcode: en\nstatus: true\ndependencies: {  }\nname: Genre\nvid: genre\ndescription: ''\nweight: 1\n",
    )
    const out = (await kernel.gate.invoke('drush.entitySchema', { entity_type: 'taxonomy_term' }, agent))
      .output as {
      entity_type: EntityTypeMeta
      deltas: MetadataDelta[]
    }
    expect(Object.keys(out.entity_type.bundles).sort()).toEqual(['genre', 'tags'])
    expect(out.deltas).toEqual([{ kind: 'bundle', change: 'added', id: 'taxonomy_term.genre' }])
    const types = await schema('driftcore://schema/entity-types')
    expect((types.schemas as { title: string }[]).map((s) => s.title)).toContain('Content')
  })

  it('drush.entitySchema requires an entity type and refuses one the site does not have', async () => {
    await expect(kernel.gate.invoke('drush.entitySchema', {}, agent)).rejects.toMatchObject({
      code: 'invalid_input',
    })
    await expect(
      kernel.gate.invoke('drush.entitySchema', { entity_type: 'spaceship' }, agent),
    ).rejects.toMatchObject({
      code: 'not_found',
    })
  })
})

describe('metadata from a config export alone (no Drush)', () => {
  it('falls back to the config export when Drush is not installed', async () => {
    await kernel.close()
    const current = await mutatedCopy(DRUPAL.standard10, path.join(project.dir, 'config/sync'))
    await writeFile(
      path.join(project.home, 'config.yaml'),
      'launcher:\n  allowlist: [drush-not-installed-here]\ndrush:\n  command: drush-not-installed-here\n',
    )
    kernel = await drushKernel(project)
    const out = await harvest()
    expect(out.snapshot.source).toEqual({ kind: 'config', detail: 'config/sync' })
    expect(current).toContain('config/sync')
    const page = await schema('driftcore://schema/fields/node/page')
    expect(page.properties.promote.title).toBe('Promoted to front page')
  })

  it('reads bundles, fields, list values, paragraphs and translatability from the USA.gov export', async () => {
    const out = await harvest({ from: 'config', source: DRUPAL.usagov })
    expect(out.snapshot).toMatchObject({ source: { kind: 'config' } })
    const node = await schema('driftcore://schema/fields/node')
    expect(node.schemas).toHaveLength(11)
    const page = await schema('driftcore://schema/fields/node/basic_page')
    expect(page['x-translatable']).toBe(true)
    expect(page.properties.field_50_state_pages_type.enum).toContain('field-governor')
    const paragraphs = await schema('driftcore://schema/fields/paragraph')
    expect(paragraphs.schemas.length).toBeGreaterThan(10)
    const refs = Object.values(page.properties as Record<string, any>).filter(
      (p) => p['x-drupal-field-type'] === 'entity_reference_revisions',
    )
    for (const ref of refs) expect((ref.items ?? ref)['x-target-type']).toBe('paragraph')
  })
})
