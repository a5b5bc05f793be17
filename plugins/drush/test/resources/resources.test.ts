import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Kernel } from '../../../../src/kernel/open.js'
import { REPO, tempProject, type TempProject } from '../../../../test/helpers/project.js'
import { drushKernel, EXAMPLE_SITE, standInConfig, standInSite, DRUPAL } from '../helpers/site.js'

let project: TempProject
let kernel: Kernel
const agent = { type: 'agent', id: 'reader' }

beforeEach(async () => {
  project = await tempProject()
  kernel = await drushKernel(project, [`drush.config_dir=${path.join(EXAMPLE_SITE, 'current')}`])
})
afterEach(async () => {
  await kernel.close()
  await project.cleanup()
})

const read = async (uri: string) =>
  JSON.parse((await kernel.gate.read(uri, agent)).text) as Record<string, any>

function validator() {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true })
  addFormats.default(ajv)
  ajv.addVocabulary([
    'x-target-type',
    'x-target-bundles',
    'x-drupal-field-type',
    'x-base-field',
    'x-entity-type',
    'x-bundle',
    'x-translatable',
    'x-bundles',
  ])
  return ajv
}

describe('schema resources (from the example site config, no Drush)', () => {
  it('serves one JSON Schema per bundle that a validator accepts, with types, arrays, required, enums and targets', async () => {
    const article = await read('driftcore://schema/fields/node/article')
    const p = article.properties
    expect(article.title).toBe('Article (Content)')
    expect(p.title).toMatchObject({ type: 'string', maxLength: 255, description: 'Title' })
    expect(p.field_tags).toMatchObject({
      type: 'array',
      description: 'Tags: Enter a comma-separated list of topics.',
    })
    expect(p.field_tags.maxItems).toBeUndefined()
    expect(p.field_tags.items).toMatchObject({
      'x-target-type': 'taxonomy_term',
      'x-target-bundles': ['tags'],
    })
    expect(p.field_genre).toMatchObject({ type: 'array', maxItems: 2 })
    expect(p.field_image).toMatchObject({
      type: 'object',
      'x-target-type': 'media',
      'x-target-bundles': ['image'],
    })
    expect(article.required).toEqual(expect.arrayContaining(['title', 'type', 'field_image']))
    expect(article.required).not.toContain('field_tags')
    const page = await read('driftcore://schema/fields/node/page')
    expect(page.properties.field_audience).toMatchObject({
      type: 'array',
      items: { type: 'string', enum: ['children', 'teens', 'adults'] },
    })

    const validate = validator().compile(article)
    const good = {
      title: 'A review',
      type: { target_id: 'article' },
      field_image: { target_id: 7 },
      field_genre: [{ target_id: 1 }, { target_id: 2 }],
    }
    expect(validate(good), JSON.stringify(validate.errors)).toBe(true)
    expect(validate({ ...good, field_genre: [{ target_id: 1 }, { target_id: 2 }, { target_id: 3 }] })).toBe(
      false,
    )
    expect(validate({ type: { target_id: 'article' }, field_image: { target_id: 7 } })).toBe(false)
    expect(
      validator().compile(page)({ title: 'Hours', type: { target_id: 'page' }, field_audience: ['pirates'] }),
    ).toBe(false)
  })

  it("shows the drifted site's changes: field_subtitle takes up to three values and the new event bundle exists", async () => {
    const article = await read('driftcore://schema/fields/node/article')
    expect(article.properties.field_subtitle).toMatchObject({ type: 'array', maxItems: 3 })
    const event = await read('driftcore://schema/fields/node/event')
    expect(event.properties.field_event_date).toMatchObject({
      type: 'string',
      format: 'date-time',
      title: 'Date and time',
    })
    expect(event.required).toContain('field_event_date')
  })

  it('serves entity types as JSON Schema with their definition and links to their bundles', async () => {
    const all = await read('driftcore://schema/entity-types')
    expect(all.source).toMatchObject({ kind: 'config' })
    const node = await read('driftcore://schema/entity-types/node')
    expect(node['x-entity-type']).toMatchObject({
      keys: { id: 'nid', bundle: 'type' },
      bundle_entity_type: 'node_type',
      revisionable: true,
    })
    expect(node['x-bundles']).toEqual({
      article: 'driftcore://schema/fields/node/article',
      event: 'driftcore://schema/fields/node/event',
      page: 'driftcore://schema/fields/node/page',
    })
    expect(validator().validateSchema(node)).toBe(true)
  })

  it('says which entity types and bundles exist when asked for one that does not', async () => {
    await expect(kernel.gate.read('driftcore://schema/fields/node/recipe', agent)).rejects.toMatchObject({
      code: 'not_found',
      hint: expect.stringContaining('article'),
    })
  })
})

describe('config resources', () => {
  it('config.exported serves the latest export: tarball reference, manifest and digest', async () => {
    await expect(kernel.gate.read('driftcore://config/exported', agent)).rejects.toMatchObject({
      code: 'not_found',
    })
    await kernel.close()
    const site = await standInSite(project, { active: DRUPAL.standard10 })
    await writeFile(path.join(project.home, 'config.yaml'), standInConfig(site))
    kernel = await drushKernel(project)
    const exported = (await kernel.gate.invoke('drush.configExport', {}, agent)).output as {
      record: string
      digest: string
      tar: string
    }
    const resource = await read('driftcore://config/exported')
    expect(resource).toMatchObject({
      record: exported.record,
      digest: exported.digest,
      tar: exported.tar,
      files: 49,
    })
    expect(resource.manifest[0]).toEqual({
      file: 'automated_cron.settings.yml',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      size: expect.any(Number),
    })
  })

  it('config.state serves only allowlisted values and never a secret-looking key, even when allowlisted', async () => {
    await kernel.close()
    kernel = await drushKernel(project, [
      `drush.config_dir=${path.join(EXAMPLE_SITE, 'current')}`,
      'drush.state.config=[system.site:name, system.site:mail, system.site:hash_salt]',
    ])
    const state = await read('driftcore://config/state')
    expect(state.config).toEqual({
      'system.site:name': 'Riverside Library',
      'system.site:mail': 'webmaster@riverside-library.example',
    })
    expect(state.state).toEqual({})
  })
})

describe('docs.guides', () => {
  it("lists driftcore's guides and the project's own, and serves one as Markdown; a project guide wins by name", async () => {
    await mkdir(path.join(project.home, 'guides'), { recursive: true })
    await writeFile(path.join(project.home, 'guides', 'runbook.md'), '# Our runbook\n\nCall Sam.\n')
    await writeFile(path.join(project.home, 'guides', 'drupal.md'), '# Our Drupal notes\n')
    const index = await read('driftcore://docs/guides')
    const names = (index.guides as { name: string; from: string }[]).map((g) => `${g.from}:${g.name}`)
    expect(names).toContain('project:runbook')
    expect(names).toContain('project:drupal')
    const { readdir } = await import('node:fs/promises')
    const shipped = (await readdir(path.join(REPO, 'docs/guides'))).filter(
      (f) => f.endsWith('.md') && f !== 'drupal.md',
    )
    for (const file of shipped) expect(names).toContain(`driftcore:${file.slice(0, -3)}`)
    const runbook = await kernel.gate.read('driftcore://docs/guides/runbook', agent)
    expect(runbook).toEqual({ text: '# Our runbook\n\nCall Sam.\n', mimeType: 'text/markdown' })
    expect((await kernel.gate.read('driftcore://docs/guides/drupal', agent)).text).toBe(
      '# Our Drupal notes\n',
    )
  })
})
