import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { json, runCli, tempProject, type TempProject } from '../../../../test/helpers/project.js'
import {
  DB_PASSWORD,
  DRUPAL,
  EXAMPLE_SITE,
  mutatedCopy,
  allowFixtureReads,
  standInConfig,
  standInSite,
} from '../helpers/site.js'

// These run the built CLI (bin/run.js): `npm run build` first.
let project: TempProject
const baseline = path.join(EXAMPLE_SITE, 'baseline')
const current = path.join(EXAMPLE_SITE, 'current')

beforeEach(async () => {
  project = await tempProject()
  await allowFixtureReads(project)
})
afterEach(() => project.cleanup())

describe('driftcore drift check (built CLI)', () => {
  it('exits 0 without drift and 20 with drift, printing each drifted object and the plan', async () => {
    const same = await runCli(project, ['drift', 'check', '--baseline', baseline, '--current', baseline])
    expect(same.exitCode).toBe(0)
    expect(same.stdout).toMatch(/^no drift/)
    const drifted = await runCli(project, ['drift', 'check', '--baseline', baseline, '--current', current])
    expect(drifted.exitCode).toBe(20)
    expect(drifted.stdout).toContain('~ field.storage.node.field_subtitle\n    cardinality: 1 → 3')
    expect(drifted.stdout).toContain('+ node.type.event')
    expect(drifted.stdout).toContain('- views.view.reading_list')
    expect(drifted.stdout).toContain('noise only, not drift: media.type.image')
    expect(drifted.stdout).toContain('1. drush.configImport')
  })

  it('--json prints the report the human output is drawn from, with the same exit code', async () => {
    const result = await runCli(project, [
      'drift',
      'check',
      '--baseline',
      baseline,
      '--current',
      current,
      '--json',
    ])
    expect(result.exitCode).toBe(20)
    const report = json(result)
    expect(report).toMatchObject({
      drift: true,
      summary: { added: 4, removed: 1, changed: 3, noise_only: 1, equivalent: 1 },
    })
    const human = await runCli(project, ['drift', 'check', '--baseline', baseline, '--current', current])
    for (const o of report.objects as { name: string }[]) expect(human.stdout).toContain(o.name)
  })

  // Drift is 20, outside the error range; an error exits with its own code from the table.
  it('exits with the error code on an error: not_found 3, a missing flag 2, invalid YAML 2', async () => {
    const missing = await runCli(project, [
      'drift',
      'check',
      '--baseline',
      'no-such-baseline',
      '--current',
      current,
    ])
    expect(missing.exitCode).toBe(3)
    expect(missing.stderr).toContain('no config folder, file or baseline named "no-such-baseline"')
    const noFlag = await runCli(project, ['drift', 'check', '--current', current])
    expect(noFlag.exitCode).toBe(2)
    const broken = await mutatedCopy(current, path.join(project.dir, 'broken'), {
      'system.site.yml': (t) => `${t}page: [\n`,
    })
    const invalid = await runCli(project, [
      'drift',
      'check',
      '--baseline',
      baseline,
      '--current',
      broken,
      '--json',
    ])
    expect(invalid.exitCode).toBe(2)
    expect(json(invalid).error).toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/system\.site\.yml:\d+:\d+/),
    })
  })

  it('without --current exports the live site through Drush (stand-in) and compares that', async () => {
    const site = await standInSite(project, { active: DRUPAL.standard10 })
    await writeFile(path.join(project.home, 'config.yaml'), standInConfig(site))
    const result = await runCli(project, ['drift', 'check', '--baseline', DRUPAL.standard10, '--json'])
    expect(result.exitCode).toBe(0)
    expect(json(result).current.source).toMatch(/^artifact:\/\/sha256\//)
  })
})

describe('driftcore drush … (built CLI, Drush stand-in)', () => {
  it('drush status prints the status and never the database password', async () => {
    const site = await standInSite(project, { active: DRUPAL.standard10 })
    await writeFile(path.join(project.home, 'config.yaml'), standInConfig(site))
    const human = await runCli(project, ['drush', 'status'])
    expect(human.exitCode).toBe(0)
    expect(human.stdout).toContain('db-hostname')
    const machine = await runCli(project, ['drush', 'status', '--json'])
    expect(json(machine).removed).toEqual(['db-password'])
    for (const text of [human.stdout, human.stderr, machine.stdout, machine.stderr])
      expect(text).not.toContain(DB_PASSWORD)
  })

  it('drush cache-rebuild waits for a person, then runs with --approval', async () => {
    const site = await standInSite(project, { active: DRUPAL.standard10 })
    await writeFile(path.join(project.home, 'config.yaml'), standInConfig(site))
    const agentEnv = { env: { DRIFTCORE_ACTOR: 'agent:copilot' } }
    const asked = await runCli(project, ['drush', 'cache-rebuild', '--json'], agentEnv)
    expect(asked.exitCode).toBe(5)
    const approvalId = json(asked).error.details.approval_id as string
    const approved = await runCli(project, ['approvals', 'approve', approvalId], {
      env: { DRIFTCORE_ACTOR: 'human:alice' },
    })
    expect(approved.exitCode).toBe(0)
    const ran = await runCli(project, ['drush', 'cache-rebuild', '--approval', approvalId], agentEnv)
    expect(ran.exitCode).toBe(0)
    expect(ran.stdout.trim()).toBe('[success] Cache rebuild complete.')
  })

  // --source names a config source, as in drift snapshot and drush config-import; --from says where.
  it('drush metadata-harvest --source reads a config export and feeds the schema resources', async () => {
    const harvested = await runCli(project, ['drush', 'metadata-harvest', '--source', current])
    expect(harvested.exitCode).toBe(0)
    expect(harvested.stdout).toMatch(/snapshot \S+: \d+ entity types, \d+ bundles, \d+ fields \(from config/)
    const event = await runCli(project, ['resources', 'read', 'driftcore://schema/fields/node/event'])
    expect(JSON.parse(event.stdout)).toMatchObject({ title: 'Event (Content)' })
  })

  it('lists the drush and drift commands under their topics', async () => {
    const help = await runCli(project, ['drift', '--help'])
    expect(help.stdout).toContain('Configuration drift')
    for (const verb of ['accept', 'check', 'snapshot']) expect(help.stdout).toContain(`drift ${verb}`)
  })
})
