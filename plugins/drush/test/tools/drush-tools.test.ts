import { LIVE_SYNC } from '../helpers/live.js'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { queryAudit } from '../../../../src/audit/query.js'
import type { Kernel } from '../../../../src/kernel/open.js'
import { allowOverrides, tempProject, type TempProject } from '../../../../test/helpers/project.js'
import { readTarball } from '../../src/configset/tarball.js'
import { digestOf } from '../../src/configset/config-set.js'
import {
  ALLOW_ALL,
  allFiles,
  DB_PASSWORD,
  DRUPAL,
  drushKernel,
  STAND_IN,
  standInConfig,
  standInSite,
} from '../helpers/site.js'

let project: TempProject
let kernel: Kernel
let site: string
const agent = { type: 'agent', id: 'copilot-1' }
const alice = { type: 'human', id: 'alice' }

async function open(options: { policy?: Record<string, string>; extra?: string } = {}) {
  project = await tempProject(options.policy ? { policy: options.policy } : {})
  site = await standInSite(project, { active: DRUPAL.standard10 })
  const { writeFile } = await import('node:fs/promises')
  await writeFile(path.join(project.home, 'config.yaml'), standInConfig(site, options.extra))
  kernel = await drushKernel(project)
}

const calls = async () =>
  (await readFile(path.join(site, 'calls.log'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as string[])

afterEach(async () => {
  await kernel?.close()
  await project?.cleanup()
})

describe('Drush tools against the Drush stand-in', () => {
  beforeEach(() => open())

  it('drush.status returns the site status without the database password, which appears in no output, record or file', async () => {
    const result = await kernel.gate.invoke('drush.status', {}, agent)
    expect(result.output).toMatchObject({
      status: { 'db-hostname': 'db', 'db-username': 'drupal', bootstrap: 'Successful' },
      removed: ['db-password'],
      bootstrapped: true,
    })
    expect((await readFile(path.join(site, 'site.json'), 'utf8')).includes(DB_PASSWORD)).toBe(true)
    await kernel.close()
    expect(JSON.stringify(result)).not.toContain(DB_PASSWORD)
    for (const file of await allFiles(project.home)) {
      expect(await readFile(file, 'utf8'), file).not.toContain(DB_PASSWORD)
    }
  })

  it('runs Drush through the launcher with --root, and records the process in the audit log', async () => {
    await kernel.gate.invoke('drush.status', {}, agent)
    expect(await calls()).toEqual([['core:status', '--format=json', `--root=${site}`]])
    await kernel.close()
    const [run] = await queryAudit(kernel.paths.audit, { type: 'process.run' })
    expect(run).toMatchObject({
      subject: 'drush.status',
      data: {
        exit_code: 0,
        contained: true,
        command: [STAND_IN, 'core:status', '--format=json', `--root=${site}`],
      },
    })
  })

  it('drush.configStatus turns Drush\'s [] into "in sync" and its rows into a sorted list', async () => {
    const before = await kernel.gate.invoke('drush.configStatus', {}, agent)
    expect(before.output).toMatchObject({ in_sync: false })
    const differences = (before.output as { differences: { name: string; state: string }[] }).differences
    expect(differences).toHaveLength(49)
    expect(differences[0]).toEqual({ name: 'automated_cron.settings', state: 'Only in DB' })
    const { cp } = await import('node:fs/promises')
    await cp(path.join(site, 'active'), path.join(site, 'sync'), { recursive: true })
    const after = await kernel.gate.invoke('drush.configStatus', {}, agent)
    expect(after.output).toEqual({
      in_sync: true,
      differences: [],
      logs: [{ level: 'notice', message: 'No differences between DB and sync directory.' }],
    })
  })

  it('drush.fieldInfo lists the configurable fields of a bundle with their cardinality and targets', async () => {
    const result = await kernel.gate.invoke(
      'drush.fieldInfo',
      { entity_type: 'node', bundle: 'article' },
      agent,
    )
    const fields = (result.output as { fields: { name: string }[] }).fields
    expect(fields.map((f) => f.name).sort()).toEqual(['body', 'comment', 'field_image', 'field_tags'])
    expect(fields.find((f) => f.name === 'field_tags')).toMatchObject({
      type: 'entity_reference',
      cardinality: -1,
      required: false,
      handler: 'default:taxonomy_term',
      target_bundles: ['tags'],
    })
  })

  it('drush.fieldInfo refuses input that is not a machine name before Drush runs', async () => {
    await expect(
      kernel.gate.invoke('drush.fieldInfo', { entity_type: 'node', bundle: '--help' }, agent),
    ).rejects.toMatchObject({
      code: 'invalid_input',
    })
    await expect(readdir(site)).resolves.not.toContain('calls.log')
  })

  it('drush.configExport keeps a tarball and a record whose manifest and digest match the site, and leaves no scratch folder', async () => {
    const result = await kernel.gate.invoke('drush.configExport', {}, agent)
    const out = result.output as { record: string; tar: string; digest: string; files: number }
    expect(out.files).toBe(49)
    const set = await readTarball(await kernel.artifacts.get(out.tar), 'export')
    expect(set.objects.get('system.site')!.bytes!.toString()).toBe(
      await readFile(path.join(DRUPAL.standard10, 'system.site.yml'), 'utf8'),
    )
    const record = JSON.parse((await kernel.artifacts.get(out.record)).toString()) as {
      manifest: { file: string }[]
      digest: string
    }
    expect(record.manifest).toHaveLength(49)
    expect(record.manifest.map((m) => m.file)).toEqual([...record.manifest.map((m) => m.file)].sort())
    expect(digestOf(record.manifest as never)).toBe(out.digest)
    await expect(readdir(path.join(project.dir, '.driftcore/tmp/drush'))).resolves.toEqual([])
    const again = (await kernel.gate.invoke('drush.configExport', {}, agent)).output as typeof out
    expect(again.tar).toBe(out.tar)
  })

  it("reports a site Drush cannot reach as unavailable, with Drush's own error", async () => {
    const { rm } = await import('node:fs/promises')
    await rm(path.join(site, 'active'), { recursive: true })
    const error = await kernel.gate.invoke('drush.status', {}, agent).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'unavailable' })
    expect((error as Error).message).toContain('Drupal bootstrap failed')
  })
})

describe('Drush tools that change the site', () => {
  it("drush.cacheRebuild needs a person's approval by default, then returns Drush's log as entries", async () => {
    await open()
    const error = await kernel.gate.invoke('drush.cacheRebuild', {}, agent).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'approval_required' })
    await expect(readdir(site)).resolves.not.toContain('calls.log')
    const approvalId = (error as { details: { approval_id: string } }).details.approval_id
    await kernel.approvals.decide(approvalId, alice, 'approved')
    const result = await kernel.gate.invoke('drush.cacheRebuild', {}, agent, { approvalId })
    expect(result.output).toMatchObject({
      ok: true,
      logs: [{ level: 'success', message: 'Cache rebuild complete.' }],
    })
  })

  // A whole site's export: Drupal refuses a full import that leaves an object without what it
  // depends on, as a partial install folder such as DRUPAL.standard11 would (the stand-in too).
  it('drush.configImport imports a baseline fully (deleting what the baseline lacks) after a backup export', async () => {
    await open({ policy: ALLOW_ALL })
    const result = await kernel.gate.invoke('drush.configImport', { source: LIVE_SYNC }, alice)
    const out = result.output as {
      backup: string
      objects: number
      partial: boolean
      logs: { level: string; message: string }[]
    }
    expect(out).toMatchObject({ partial: false, objects: 199 })
    expect(out.logs.at(-1)).toEqual({
      level: 'success',
      message: 'The configuration was imported successfully.',
    })
    expect((await readdir(path.join(site, 'active'))).sort()).toEqual((await readdir(LIVE_SYNC)).sort())
    const backup = JSON.parse((await kernel.artifacts.get(out.backup)).toString()) as { files: number }
    expect(backup.files).toBe(49)
    const exported = (await kernel.gate.invoke('drush.configExport', {}, alice)).output as { record: string }
    const drift = await kernel.gate.invoke(
      'drift.check',
      { baseline: LIVE_SYNC, current: exported.record },
      alice,
    )
    expect(drift.output).toMatchObject({ drift: false })
  })

  it('drush.configImport with objects imports only those (a partial import) from a saved baseline', async () => {
    await open({ policy: ALLOW_ALL })
    await kernel.gate.invoke('drift.snapshot', { source: DRUPAL.standard11, name: 'd11' }, alice)
    const result = await kernel.gate.invoke(
      'drush.configImport',
      { source: 'd11', objects: ['field.storage.block_content.body'], backup: false },
      alice,
    )
    expect(result.output).toMatchObject({ partial: true, objects: 1, backup: null })
    const last = (await calls()).at(-1)!
    expect(last).toContain('--partial')
    expect(await readFile(path.join(site, 'active/field.storage.block_content.body.yml'), 'utf8')).toBe(
      await readFile(path.join(DRUPAL.standard11, 'field.storage.block_content.body.yml'), 'utf8'),
    )
    expect((await readdir(path.join(site, 'active'))).length).toBe(50)
    await expect(
      kernel.gate.invoke('drush.configImport', { source: 'd11', objects: ['no.such.object'] }, alice),
    ).rejects.toMatchObject({ code: 'invalid_input' })
  })
})

describe('the Drush command prefix', () => {
  it('runs a multi-word prefix (like `ddev drush`) whose first word is allowlisted', async () => {
    await open({ extra: '' })
    await kernel.close()
    const { writeFile } = await import('node:fs/promises')
    await writeFile(
      path.join(project.home, 'config.yaml'),
      `launcher:\n  allowlist: [node]\ndrush:\n  command: node ${STAND_IN}\n  root: ${site}\n`,
    )
    kernel = await drushKernel(project)
    const result = await kernel.gate.invoke('drush.status', {}, agent)
    expect(result.output).toMatchObject({ bootstrapped: true })
  })

  it('refuses a prefix whose program is not on launcher.allowlist', async () => {
    await open()
    await kernel.close()
    await allowOverrides(project, ['drush.command']) // a protected key, set as a flag below
    kernel = await drushKernel(project, ['drush.command=ddev drush'])
    await expect(kernel.gate.invoke('drush.status', {}, agent)).rejects.toMatchObject({ code: 'forbidden' })
  })

  it('refuses shell syntax in the prefix when the config loads', async () => {
    await open()
    await kernel.close()
    await allowOverrides(project, ['drush.command'])
    await expect(drushKernel(project, ['drush.command="drush; rm -rf /"'])).rejects.toMatchObject({
      code: 'invalid_input',
    })
  })
})
