import { readFileSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { execa } from 'execa'
import { parseDocument, isMap } from 'yaml'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Kernel } from '../../../../src/kernel/open.js'
import { tempProject, type TempProject } from '../../../../test/helpers/project.js'
import type { DriftReport } from '../../src/drift/check.js'
import { DRUPAL, drushKernel, EXAMPLE_SITE, mutatedCopy } from '../helpers/site.js'

let project: TempProject
let kernel: Kernel
const agent = { type: 'agent', id: 'drift-bot' }

beforeEach(async () => {
  project = await tempProject()
  kernel = await drushKernel(project)
})
afterEach(async () => {
  await kernel.close()
  await project.cleanup()
})

async function check(baseline: string, current: string, k = kernel): Promise<DriftReport> {
  return (await k.gate.invoke('drift.check', { baseline, current }, agent)).output as DriftReport
}

const objectOf = (report: DriftReport, name: string) => report.objects.find((o) => o.name === name)

// Rewrites a config file with its top-level keys in reverse order (and the library's own quoting).
const reorderKeys = (text: string) => {
  const doc = parseDocument(text)
  if (isMap(doc.contents)) doc.contents.items.reverse()
  return doc.toString()
}

describe('drift check on the USA.gov export (1,226 files) and mutated copies of it', () => {
  it('finds no drift between an export and itself', async () => {
    const report = await check(DRUPAL.usagov, DRUPAL.usagov)
    expect(report.drift).toBe(false)
    expect(report.summary).toMatchObject({ added: 0, removed: 0, changed: 0, unchanged: 1226 })
    expect(report.baseline.digest).toBe(report.current.digest)
  })

  it('reports a module enabled and one removed in core.extension as key-path changes', async () => {
    const current = await mutatedCopy(DRUPAL.usagov, path.join(project.dir, 'current'), {
      'core.extension.yml': (t) =>
        t.replace('  devel: 0\n', '').replace('  views_ui: 0\n', '  views_ui: 0\n  ban: 0\n'),
    })
    const report = await check(DRUPAL.usagov, current)
    expect(report.summary).toMatchObject({ changed: 1, added: 0, removed: 0 })
    expect(objectOf(report, 'core.extension')!.changes).toEqual([
      { path: 'module.ban', kind: 'added', after: 0 },
      { path: 'module.devel', kind: 'removed', before: 0 },
    ])
    expect(report.plan.notes).toContain('importing core.extension installs or uninstalls modules on the site')
  })

  it("reports a field's changed cardinality at its key path", async () => {
    const current = await mutatedCopy(DRUPAL.usagov, path.join(project.dir, 'current'), {
      'field.storage.node.field_agency_reference.yml': (t) =>
        t.replace('cardinality: 1\n', 'cardinality: -1\n'),
    })
    const report = await check(DRUPAL.usagov, current)
    expect(report.objects).toEqual([
      {
        name: 'field.storage.node.field_agency_reference',
        file: 'field.storage.node.field_agency_reference.yml',
        status: 'changed',
        changes: [{ path: 'cardinality', kind: 'changed', before: 1, after: -1 }],
      },
    ])
  })

  it('reports a new bundle as added and a deleted view as removed, and plans a full import to restore them', async () => {
    const current = await mutatedCopy(DRUPAL.usagov, path.join(project.dir, 'current'), {
      'node.type.podcast.yml': () =>
        readFileSync(path.join(DRUPAL.standard10, 'node.type.article.yml'), 'utf8').replace(
          /article/g,
          'podcast',
        ),
      'views.view.archive.yml': null,
    })
    const report = await check(DRUPAL.usagov, current)
    expect(report.objects.map((o) => [o.status, o.name])).toEqual([
      ['added', 'node.type.podcast'],
      ['removed', 'views.view.archive'],
    ])
    expect(report.plan.import.map((i) => [i.name, i.effect])).toEqual([
      ['node.type.podcast', 'delete it from the site (only a full import deletes)'],
      ['views.view.archive', 'recreate it on the site'],
    ])
    expect(report.plan.steps).toEqual([
      expect.objectContaining({ tool: 'drush.configImport', input: { source: DRUPAL.usagov } }),
    ])
  })

  it('reports a changed translation in a language collection', async () => {
    const translation = "label: 'Archivo'\ndisplay:\n  default:\n    display_title: Predeterminado\n"
    const baseline = await mutatedCopy(DRUPAL.usagov, path.join(project.dir, 'baseline'), {
      'language/es/views.view.archive.yml': () => translation,
    })
    const current = await mutatedCopy(DRUPAL.usagov, path.join(project.dir, 'current'), {
      'language/es/views.view.archive.yml': () => translation.replace('Archivo', 'Archivo histórico'),
    })
    const report = await check(baseline, current)
    expect(report.objects).toEqual([
      {
        name: 'language.es:views.view.archive',
        file: 'language/es/views.view.archive.yml',
        status: 'changed',
        changes: [{ path: 'label', kind: 'changed', before: 'Archivo', after: 'Archivo histórico' }],
      },
    ])
  })

  it('does not count reordered keys or a changed default_config_hash as drift', async () => {
    const current = await mutatedCopy(DRUPAL.usagov, path.join(project.dir, 'current'), {
      'views.view.archive.yml': reorderKeys,
      'core.extension.yml': (t) =>
        t.replace(/default_config_hash: .*/, 'default_config_hash: changed-by-a-reinstall'),
    })
    expect(await readFile(path.join(current, 'views.view.archive.yml'), 'utf8')).not.toBe(
      await readFile(path.join(DRUPAL.usagov, 'views.view.archive.yml'), 'utf8'),
    )
    const report = await check(DRUPAL.usagov, current)
    expect(report.drift).toBe(false)
    expect(report.equivalent).toEqual(['views.view.archive'])
    expect(report.noise_only).toEqual(['core.extension'])
  })

  // Issue 13, case 3: Drush says such an object is "Only in sync dir"; an import deletes and
  // recreates it. Not noise, whatever drift.noise says.
  it('counts a uuid change as drift that an import would delete and recreate, even with uuid in drift.noise', async () => {
    const current = await mutatedCopy(DRUPAL.usagov, path.join(project.dir, 'current'), {
      'node.type.basic_page.yml': (t) =>
        t.replace(/^uuid: .*$/m, 'uuid: 00000000-1111-4222-8333-444444444444'),
    })
    const lenient = await drushKernel(project, ['drift.noise=[uuid, _core.default_config_hash]'])
    const report = await check(DRUPAL.usagov, current, lenient)
    await lenient.close()
    expect(objectOf(report, 'node.type.basic_page')).toMatchObject({
      recreated: true,
      changes: [expect.objectContaining({ path: 'uuid', kind: 'changed' })],
    })
    expect(report.plan.import).toEqual([
      expect.objectContaining({
        name: 'node.type.basic_page',
        recreated: true,
        effect: expect.stringContaining("delete the site's object and create the baseline's"),
      }),
    ])
  })

  // Issue 13, case 4: removing _core.default_config_hash must not leave `_core: {}` behind.
  it('a mapping that held only noise is noise too, not an added empty parent', async () => {
    const current = await mutatedCopy(DRUPAL.usagov, path.join(project.dir, 'current'), {
      'system.site.yml': (t) => t.replace(/^_core:\n {2}default_config_hash: .*\n/m, ''),
    })
    expect(await readFile(path.join(current, 'system.site.yml'), 'utf8')).not.toContain('_core')
    const report = await check(DRUPAL.usagov, current)
    expect(report.drift).toBe(false)
    expect(report.noise_only).toEqual(['system.site'])
  })

  it('skips objects matching drift.ignore, and plans re-export for objects matching drift.accept_site', async () => {
    const current = await mutatedCopy(DRUPAL.usagov, path.join(project.dir, 'current'), {
      'views.view.archive.yml': null,
      'system.site.yml': (t) => t.replace(/^name: .*$/m, "name: 'USAGov (edited on prod)'"),
      'field.storage.node.field_agency_reference.yml': (t) =>
        t.replace('cardinality: 1\n', 'cardinality: 2\n'),
    })
    const k = await drushKernel(project, ['drift.ignore=["views.view.*"]', 'drift.accept_site=[system.site]'])
    const report = await check(DRUPAL.usagov, current, k)
    await k.close()
    expect(report.summary.ignored).toBeGreaterThan(40)
    expect(report.objects.map((o) => o.name)).toEqual([
      'field.storage.node.field_agency_reference',
      'system.site',
    ])
    expect(report.plan.reexport).toEqual([
      { name: 'system.site', status: 'changed', effect: "write the site's value into the baseline" },
    ])
    expect(report.plan.steps.map((s) => [s.tool, s.input])).toEqual([
      ['drift.accept', { baseline: DRUPAL.usagov, current, objects: ['system.site'] }],
      [
        'drush.configImport',
        { source: DRUPAL.usagov, objects: ['field.storage.node.field_agency_reference'] },
      ],
    ])
  })

  it('names the file and line of a config file that is not valid YAML', async () => {
    const current = await mutatedCopy(DRUPAL.usagov, path.join(project.dir, 'current'), {
      'system.site.yml': (t) => t.replace(/^name: .*$/m, 'name: [unclosed'),
    })
    const error = await check(DRUPAL.usagov, current).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'invalid_input' })
    expect((error as Error).message).toMatch(/current\/system\.site\.yml:\d+:\d+/)
  })
})

describe('drift check refuses hostile input', () => {
  it('refuses a YAML alias bomb instead of expanding it', async () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`),
    ].join('\n')
    const current = await mutatedCopy(DRUPAL.standard10, path.join(project.dir, 'current'), {
      'system.site.yml': () => `${bomb}\n`,
    })
    const error = await check(DRUPAL.standard10, current).catch((e: unknown) => e)
    expect(error).toMatchObject({
      code: 'invalid_input',
      hint: expect.stringContaining('aliases are limited'),
    })
  })

  it('refuses a config file over limits.max_yaml_bytes, naming the file and the limit', async () => {
    const current = await mutatedCopy(DRUPAL.standard10, path.join(project.dir, 'current'), {
      'system.site.yml': (t) => `${t}slogan: '${'x'.repeat(5000)}'\n`,
    })
    const small = await drushKernel(project, ['limits.max_yaml_bytes=4096'])
    const error = await check(DRUPAL.standard10, current, small).catch((e: unknown) => e)
    await small.close()
    expect(error).toMatchObject({ code: 'invalid_input' })
    expect((error as Error).message).toMatch(/system\.site\.yml is \d+ bytes, over the 4096-byte limit/)
  })

  it('refuses a tarball whose entries would escape the export folder', async () => {
    const dir = await mutatedCopy(DRUPAL.standard10, path.join(project.dir, 'export/inner'))
    const tarball = path.join(project.dir, 'evil.tar.gz')
    await writeFile(path.join(project.dir, 'export/evil.yml'), 'x: 1\n')
    await execa('tar', ['-czPf', tarball, '-C', dir, '.', '../evil.yml'])
    const error = await check(DRUPAL.standard10, tarball).catch((e: unknown) => e)
    expect(error).toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('unsafe entry name "../evil.yml"'),
    })
  })
})

describe('drift check across Drupal versions and input kinds', () => {
  it('shows what changed in the standard profile from Drupal 10 to 11 (node types moved to recipes)', async () => {
    const report = await check(DRUPAL.standard10, DRUPAL.standard11)
    expect(report.drift).toBe(true)
    expect(objectOf(report, 'node.type.article')).toMatchObject({ status: 'removed' })
    expect(objectOf(report, 'field.field.block_content.basic.body')!.changes).toContainEqual({
      path: 'field_type',
      kind: 'changed',
      before: 'text_with_summary',
      after: 'text_long',
    })
  })

  it('compares a folder with a .tar.gz made by the system tar, and with a manifest of hashes', async () => {
    const tarball = path.join(project.dir, 'standard10.tar.gz')
    await execa('tar', ['-czf', tarball, '-C', DRUPAL.standard10, '.'])
    const fromTar = await check(DRUPAL.standard10, tarball)
    expect(fromTar).toMatchObject({ drift: false, current: { kind: 'tarball', objects: 49 } })
    expect(fromTar.current.digest).toBe(fromTar.baseline.digest)

    const edited = await mutatedCopy(DRUPAL.standard10, path.join(project.dir, 'edited'), {
      'system.site.yml': (t) => `${t}slogan: 'Edited'\n`,
    })
    const { createHash } = await import('node:crypto')
    const { readdir } = await import('node:fs/promises')
    const manifest = await Promise.all(
      (await readdir(DRUPAL.standard10)).sort().map(async (file) => {
        const bytes = await readFile(path.join(DRUPAL.standard10, file))
        return { file, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length }
      }),
    )
    await writeFile(path.join(project.dir, 'manifest.json'), JSON.stringify({ manifest }))
    const fromManifest = await check(path.join(project.dir, 'manifest.json'), edited)
    expect(fromManifest).toMatchObject({ drift: true, precision: 'bytes', baseline: { kind: 'manifest' } })
    expect(fromManifest.objects).toEqual([
      { name: 'system.site', file: 'system.site.yml', status: 'changed' },
    ])
    expect(fromManifest.plan.notes[0]).toMatch(/only hashes/)
  })

  it('finds every planted drift in the example site, and nothing else', async () => {
    const report = await check(path.join(EXAMPLE_SITE, 'baseline'), path.join(EXAMPLE_SITE, 'current'))
    expect(report.objects.map((o) => `${o.status} ${o.name}`)).toEqual([
      'changed core.extension',
      'added field.field.node.event.body',
      'added field.field.node.event.field_event_date',
      'added field.storage.node.field_event_date',
      'changed field.storage.node.field_subtitle',
      'changed language.es:system.site',
      'added node.type.event',
      'removed views.view.reading_list',
    ])
    expect(report.noise_only).toEqual(['media.type.image'])
    expect(report.equivalent).toEqual(['user.role.editor'])
  })
})
