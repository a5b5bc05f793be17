import { describe, expect, it } from 'vitest'
import { drushArguments } from '../../src/drush/commands.js'
import { parseDrushJson, parseDrushLog } from '../../src/drush/output.js'

describe('Drush invocations', () => {
  it('builds a checked argv: command, arguments, options, --yes where Drush would ask, globals before -- extras', () => {
    expect(
      drushArguments({ command: 'config:import', options: { source: '/x/y', partial: true } }, ['--root=/r']),
    ).toEqual(['config:import', '--source=/x/y', '--partial', '--yes', '--root=/r'])
    expect(
      drushArguments({ command: 'php:script', args: ['/t/h.php'], extra: ['--entity-type=node'] }, [
        '--uri=u',
      ]),
    ).toEqual(['php:script', '/t/h.php', '--uri=u', '--', '--entity-type=node'])
  })

  it('refuses commands, options and values outside the allowlist, before anything runs', () => {
    expect(() => drushArguments({ command: 'sql:query', args: ['DROP TABLE users'] })).toThrow(
      /not a command driftcore runs/,
    )
    expect(() => drushArguments({ command: 'core:status', options: { debug: true } })).toThrow(
      /--debug is not an allowed option/,
    )
    expect(() => drushArguments({ command: 'field:info', args: ['node', 'article; rm -rf /'] })).toThrow(
      /not a valid argument/,
    )
    expect(() =>
      drushArguments({ command: 'config:export', options: { destination: 'relative/dir' } }),
    ).toThrow(/not an allowed value/)
    expect(() => drushArguments({ command: 'php:script', args: ['/x.php'], extra: ['$(id)'] })).toThrow(
      /not an allowed extra/,
    )
    const refused = (() => {
      try {
        drushArguments({ command: 'cache:rebuild', options: { 'cache-clear': '0' } })
      } catch (error) {
        return error
      }
    })()
    expect(refused).toMatchObject({ code: 'forbidden' })
    expect((refused as Error).message).toContain('--cache-clear')
  })
})

describe("Drush's output", () => {
  it('parses log lines into level and message, joining continuation lines', () => {
    const logs = parseDrushLog(
      ' [notice] Synchronized configuration: update system.site.\n [success] The configuration was imported successfully.\n [warning] Something\n   continues here\n [error]  Boom\n',
    )
    expect(logs).toEqual([
      { level: 'notice', message: 'Synchronized configuration: update system.site.' },
      { level: 'success', message: 'The configuration was imported successfully.' },
      { level: 'warning', message: 'Something\ncontinues here' },
      { level: 'error', message: 'Boom' },
    ])
  })

  it('reads RowsOfFields as an object keyed by row and [] as no rows', () => {
    expect(parseDrushJson('[]\n', 'config:status')).toEqual({})
    expect(
      parseDrushJson('{"system.site": {"name": "system.site", "state": "Different"}}', 'config:status'),
    ).toEqual({
      'system.site': { name: 'system.site', state: 'Different' },
    })
    expect(() => parseDrushJson('Drush command terminated abnormally.', 'core:status')).toThrow(/not JSON/)
  })
})
