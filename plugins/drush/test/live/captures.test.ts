// The Drush stand-in, checked against the live site it stands in for: each test runs the
// stand-in the way the capture of the same name ran real Drush 13.3 on Drupal 10.3.7
// (../shared/fixtures/drupal-live-10.3/drush-13.3) and expects the same stdout, stderr and
// exit code. Where a capture's paths were rewritten (boxes wrapped around a path), the test
// compares what driftcore reads from it: the parsed entries and the box geometry.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parseDrushLog } from '../../src/drush/output.js'
import { capture, LIVE_SYNC, LiveStandIn } from '../helpers/live.js'
import { mutatedCopy } from '../helpers/site.js'

let site: LiveStandIn | undefined
let scratch: string | undefined
afterEach(async () => {
  await site?.remove()
  if (scratch) await rm(scratch, { recursive: true, force: true })
  site = scratch = undefined
})

async function standIn(options: Parameters<typeof LiveStandIn.create>[0] = {}) {
  site = await LiveStandIn.create(options)
  return site
}

/** A copy of the live export with edits (a function of the text, or null to delete). */
async function edited(edits: Record<string, ((text: string) => string) | null>): Promise<string> {
  scratch ??= await mkdtemp(path.join(os.tmpdir(), 'drupal-live-edit-'))
  return mutatedCopy(LIVE_SYNC, path.join(scratch, String(Math.random()).slice(2)), edits)
}

const renamed = (text: string) => text.replace("name: 'Driftcore Test'", "name: 'Renamed on the site'")

async function expectSame(name: string, got: { stdout: string; stderr: string; rc: number }) {
  expect({ stdout: got.stdout, stderr: got.stderr, rc: got.rc }).toEqual(await capture(name))
}

describe('the Drush stand-in reproduces the live Drush 13.3 captures', () => {
  it('status-json: status --format=json prints every field, SQLite credentials as null', async () => {
    const s = await standIn()
    await expectSame('status-json', s.drush(['status', '--format=json']))
  })

  it('status-noroot: a site-local Drush finds its site from another folder, same status', async () => {
    const s = await standIn()
    await expectSame('status-noroot', s.drush(['status', '--format=json']))
  })

  it('status-json-fields: --fields picks fields in the order asked', async () => {
    const s = await standIn()
    await expectSame(
      'status-json-fields',
      s.drush(['status', '--format=json', '--fields=bootstrap,drupal-version,db-status']),
    )
  })

  it('status-nodb: with the database down status still exits 0, without db-status and bootstrap', async () => {
    const s = await standIn({ database: 'down' })
    await expectSame('status-nodb', s.drush(['status', '--format=json']))
  })

  it('config-status-synced: in sync, [] on stdout and a notice on stderr', async () => {
    const s = await standIn()
    await expectSame('config-status-synced', s.drush(['config:status', '--format=json']))
  })

  it('config-status-changed2: in sync again after an import', async () => {
    const s = await standIn()
    await expectSame('config-status-changed2', s.drush(['config:status', '--format=json']))
  })

  it('config-status-synced-table: in sync without --format, nothing on stdout', async () => {
    const s = await standIn()
    await expectSame('config-status-synced-table', s.drush(['config:status']))
  })

  const changedSite = async () =>
    standIn({
      active: await edited({ 'block.block.olivero_powered.yml': null, 'system.site.yml': renamed }),
      sync: await edited({ 'taxonomy.vocabulary.audience.yml': null }),
    })

  it('config-status-changed: Only in sync dir, Different, Only in DB', async () => {
    const s = await changedSite()
    await expectSame('config-status-changed', s.drush(['config:status', '--format=json']))
  })

  it('config-status-prefix: --prefix keeps the objects named so', async () => {
    const s = await changedSite()
    await expectSame('config-status-prefix', s.drush(['config:status', '--format=json', '--prefix=system.']))
  })

  it('config-status-state-different: --state filters by state', async () => {
    const s = await changedSite()
    await expectSame(
      'config-status-state-different',
      s.drush(['config:status', '--format=json', '--state=Different']),
    )
  })

  it('config-status-state-any-prefix: --state=Any lists identical objects too', async () => {
    const s = await changedSite()
    await expectSame(
      'config-status-state-any-prefix',
      s.drush(['config:status', '--format=json', '--state=Any', '--prefix=system.site']),
    )
  })

  it('config-status-before-export: an empty sync folder, every object Only in DB', async () => {
    const s = await standIn({
      active: await edited({ 'taxonomy.vocabulary.audience.yml': null }),
      sync: null,
    })
    await expectSame('config-status-before-export', s.drush(['config:status', '--format=json']))
  })

  it('config-status-nodb: with the database down config:status is not found (a box without a file)', async () => {
    const s = await standIn({ database: 'down' })
    await expectSame('config-status-nodb', s.drush(['config:status', '--format=json']))
  })

  it('config-export: exports to the sync folder and prints it as configured', async () => {
    const s = await standIn({ active: await edited({ 'system.site.yml': renamed }) })
    await expectSame('config-export', s.drush(['config:export', '--yes']))
    expect(await readFile(path.join(s.sync, 'system.site.yml'), 'utf8')).toContain('Renamed on the site')
  })

  it('cex-dest and cex-dest-again: a missing --destination is created; an identical export only notices', async () => {
    const s = await standIn()
    const dest = s.work('cex-dest2')
    await expectSame('cex-dest', s.drush(['config:export', `--destination=${dest}`, '--yes']))
    await expectSame('cex-dest-again', s.drush(['config:export', `--destination=${dest}`, '--yes']))
  })

  it('cim-nochange: nothing to import is a notice', async () => {
    const s = await standIn()
    await expectSame('cim-nochange', s.drush(['config:import', '--yes']))
  })

  it('cim-partial: the change table on stdout, one notice per object on stderr', async () => {
    const s = await standIn()
    const source = s.work('partial')
    await mutatedCopy(LIVE_SYNC, source, {})
    await writeFile(
      path.join(source, 'system.site.yml'),
      renamed(await readFile(path.join(LIVE_SYNC, 'system.site.yml'), 'utf8')),
    )
    await expectSame(
      'cim-partial',
      s.drush(['config:import', '--partial', `--source=${source}`, '--yes'], { COLUMNS: '80' }),
    )
  })

  it('cim-baddep: an object Drupal cannot import fails after its notices, in two boxes', async () => {
    const s = await standIn()
    const source = await edited({
      'field.field.node.event.field_capacity.yml': (t) =>
        t.replace('field_type: integer', 'field_type: nosuchtype'),
    })
    await expectSame(
      'cim-baddep',
      s.drush(['config:import', `--source=${source}`, '--yes'], { COLUMNS: '80' }),
    )
  })

  it('cim-badyaml: a file that is not YAML fails the import before anything changes', async () => {
    const s = await standIn()
    const source = s.work('badcfg')
    await mutatedCopy(LIVE_SYNC, source, {
      'system.site.yml': (t) => t.replace('langcode: en', "langcode: 'en"),
    })
    const got = s.drush(['config:import', `--source=${source}`, '--yes'], { COLUMNS: '80' })
    const real = await capture('cim-badyaml')
    expect({ stdout: got.stdout, rc: got.rc }).toEqual({ stdout: real.stdout, rc: real.rc })
    // The capture's path was rewritten (its box lines are off by the difference): what driftcore
    // reads from both is the same, and the stand-in's box is exactly 79 columns wide.
    const read = parseDrushLog(got.raw.stderr).map((e) => ({ ...e, message: s.unmap(e.message) }))
    expect(read).toEqual(parseDrushLog(real.stderr))
    expect(parseDrushLog(real.stderr)).toEqual([
      {
        level: 'error',
        where: 'FileStorage.php line 118',
        message:
          'Invalid data type in config system.site, found in file /var/www/work/badcfg/system.site.yml: Malformed inline YAML string at line 3.',
      },
    ])
    const box = got.raw.stderr.split('\n').filter((l) => l.startsWith(' '))
    expect(new Set(box.map((l) => l.length))).toEqual(new Set([79]))
  })

  it('cache-rebuild: one success line', async () => {
    const s = await standIn()
    await expectSame('cache-rebuild', s.drush(['cache:rebuild']))
  })

  it('field-info-event-json: the configurable fields of a bundle', async () => {
    const s = await standIn()
    await expectSame(
      'field-info-event-json',
      s.drush(['field:info', 'node', 'event', '--format=json', '--fields=*']),
    )
  })

  it('field-info-article-json: default values and target bundles as Drupal holds them', async () => {
    const s = await standIn()
    await expectSame(
      'field-info-article-json',
      s.drush(['field:info', 'node', 'article', '--format=json', '--fields=*']),
    )
  })

  it('field-info-nofields: a bundle without configurable fields prints []', async () => {
    const s = await standIn()
    await expectSame(
      'field-info-nofields',
      s.drush(['field:info', 'taxonomy_term', 'audience', '--format=json']),
    )
  })

  it("field-info-bad-bundle: Bundle 'x' does not exist on entity type with id 'node'.", async () => {
    const s = await standIn()
    await expectSame(
      'field-info-bad-bundle',
      s.drush(['field:info', 'node', 'nosuchbundle', '--format=json']),
    )
  })

  it("field-info-bad-entity: Entity type with id 'x' does not exist.", async () => {
    const s = await standIn()
    await expectSame('field-info-bad-entity', s.drush(['field:info', 'nosuchentity', 'x', '--format=json']))
  })

  it('php-script-nodb: with the database down php:script still runs and dies without a container', async () => {
    const s = await standIn({ database: 'down' })
    const script = s.work('probe.php')
    await writeFile(script, '<?php echo "probe";\n')
    await expectSame('php-script-nodb', s.drush(['php:script', script]))
  })
})
