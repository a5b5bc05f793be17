// Case 1 of issue 13: Drush 13 reports failures as Symfony exception boxes wrapped at 80
// columns; driftcore reads the sentence Drush wrote, whole, as an error (live captures).
import { describe, expect, it } from 'vitest'
import { parseDrushLog } from '../../src/drush/output.js'
import { capture } from '../helpers/live.js'

const errors = async (name: string) =>
  parseDrushLog((await capture(name)).stderr).filter((e) => e.level === 'error')

describe('Drush 13 exception boxes (live captures)', () => {
  it('cim-baddep: the box after the notices is its own error, unwrapped, with quotes decoded', async () => {
    const entries = parseDrushLog((await capture('cim-baddep')).stderr)
    expect(entries).toEqual([
      {
        level: 'notice',
        message: 'Synchronized configuration: update field.field.node.event.field_capacity.',
      },
      { level: 'notice', message: 'Finalizing configuration synchronization.' },
      {
        level: 'error',
        where: 'ConfigImportCommands.php line 291',
        message:
          "The import failed due to the following reasons:\nUnexpected error during import with operation update for field.field.node.event.field_capacity: Unable to determine class for field type 'nosuchtype' found in the 'field.field.0' configuration",
      },
      {
        level: 'error',
        where: 'ConfigImportCommands.php line 278',
        message: 'Errors occurred during import',
      },
    ])
  })

  it('cim-badyaml: a path split mid-word by the box is whole again', async () => {
    expect((await errors('cim-badyaml'))[0]!.message).toBe(
      'Invalid data type in config system.site, found in file /var/www/work/badcfg/system.site.yml: Malformed inline YAML string at line 3.',
    )
  })

  it('field-info-bad-bundle and field-info-bad-entity: narrow boxes, one sentence each', async () => {
    expect(await errors('field-info-bad-bundle')).toEqual([
      {
        level: 'error',
        where: 'EntityTypeBundleValidationTrait.php line 42',
        message: "Bundle 'nosuchbundle' does not exist on entity type with id 'node'.",
      },
    ])
    expect((await errors('field-info-bad-entity'))[0]!.message).toBe(
      "Entity type with id 'nosuchentity' does not exist.",
    )
  })

  it('config-status-nodb and php-script-nodb: a box without a file line, and a split before a space', async () => {
    expect((await errors('config-status-nodb'))[0]!.message).toBe(
      'Command config:status was not found. Drush was unable to query the database. As a result, many commands are unavailable. Re-run your command with --debug to see relevant log messages.',
    )
    expect((await errors('php-script-nodb'))[0]!.message).toBe(
      '\\Drupal::$container is not initialized yet. \\Drupal::setContainer() must be called with a real container.',
    )
  })
})
