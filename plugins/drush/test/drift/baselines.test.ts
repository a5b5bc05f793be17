import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Kernel } from '../../../../src/kernel/open.js'
import { tempProject, type TempProject } from '../../../../test/helpers/project.js'
import { readTarball } from '../../src/configset/tarball.js'
import type { DriftReport } from '../../src/drift/check.js'
import {
  DRUPAL,
  drushKernel,
  EXAMPLE_SITE,
  mutatedCopy,
  standInConfig,
  standInSite,
} from '../helpers/site.js'

let project: TempProject
let kernel: Kernel
const alice = { type: 'human', id: 'alice' }
const bob = { type: 'human', id: 'bob' }
const agent = { type: 'agent', id: 'drift-bot' }

afterEach(async () => {
  await kernel.close()
  await project.cleanup()
})

/** Everything under a folder: each file with its bytes, each folder, hidden ones included. */
async function contents(dir: string): Promise<Record<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return Object.fromEntries(
    await Promise.all(
      entries.map(async (e) => {
        const file = path.join(e.parentPath, e.name)
        return [path.relative(dir, file), e.isFile() ? (await readFile(file)).toString('base64') : 'folder']
      }),
    ),
  )
}

const check = async (baseline: string, current: string) =>
  (await kernel.gate.invoke('drift.check', { baseline, current }, agent)).output as DriftReport

describe('drift baselines', () => {
  beforeEach(async () => {
    project = await tempProject()
    kernel = await drushKernel(project)
  })

  it('drift snapshot saves a manifest, its digest and the content, so later checks diff by key', async () => {
    const saved = (await kernel.gate.invoke('drift.snapshot', { source: DRUPAL.standard10 }, agent))
      .output as {
      file: string
      digest: string
      files: number
      tar: string
    }
    expect(saved).toMatchObject({ file: '.driftcore/drift/baselines/main.json', files: 49 })
    const record = JSON.parse(await readFile(path.join(project.dir, saved.file), 'utf8')) as {
      manifest: unknown[]
      digest: string
    }
    expect(record.manifest).toHaveLength(49)
    expect(record.digest).toBe(saved.digest)
    const edited = await mutatedCopy(DRUPAL.standard10, path.join(project.dir, 'edited'), {
      'system.site.yml': (t) => t.replace(/^name: .*$/m, "name: 'Edited'"),
    })
    const report = await check('main', edited)
    expect(report.baseline).toMatchObject({ kind: 'baseline', digest: saved.digest })
    expect(report.objects).toEqual([
      expect.objectContaining({
        name: 'system.site',
        changes: [expect.objectContaining({ path: 'name', after: 'Edited' })],
      }),
    ])
  })

  it('keeps the baseline a snapshot replaces, and falls back to hashes when a baseline lost its tarball', async () => {
    await kernel.gate.invoke('drift.snapshot', { source: DRUPAL.standard10 }, agent)
    const second = (await kernel.gate.invoke('drift.snapshot', { source: DRUPAL.standard11 }, agent))
      .output as { previous: string; tar: string }
    const previous = JSON.parse((await kernel.artifacts.get(second.previous)).toString()) as { files: number }
    expect(previous.files).toBe(49)
    await rm(path.join(project.home, 'artifacts/sha256', second.tar.slice(-64, -62), second.tar.slice(-64)))
    const report = await check('main', DRUPAL.standard11)
    expect(report).toMatchObject({ drift: false, precision: 'keys', baseline: { kind: 'baseline' } })
    const edited = await mutatedCopy(DRUPAL.standard11, path.join(project.dir, 'edited'), {
      'system.site.yml': (t) => `${t}slogan: x\n`,
    })
    const byHash = await check('main', edited)
    expect(byHash).toMatchObject({
      drift: true,
      precision: 'bytes',
      objects: [{ name: 'system.site', status: 'changed' }],
    })
  })

  it('drift accept writes the accepted objects into a config folder; they no longer drift, and the folder before is kept', async () => {
    const baseline = await mutatedCopy(
      path.join(EXAMPLE_SITE, 'baseline'),
      path.join(project.dir, 'config/sync'),
    )
    const current = path.join(EXAMPLE_SITE, 'current')
    const objects = ['node.type.event', 'views.view.reading_list', 'field.storage.node.field_subtitle']
    const pending = await kernel.gate
      .invoke('drift.accept', { baseline, current, objects }, agent)
      .catch((e: unknown) => e)
    expect(pending).toMatchObject({ code: 'approval_required' })
    const approvalId = (pending as { details: { approval_id: string } }).details.approval_id
    await kernel.approvals.decide(approvalId, alice, 'approved')
    const out = (
      await kernel.gate.invoke('drift.accept', { baseline, current, objects }, agent, { approvalId })
    ).output as {
      written: string[]
      deleted: string[]
      previous: string
    }
    expect(out).toMatchObject({
      written: ['node.type.event', 'field.storage.node.field_subtitle'],
      deleted: ['views.view.reading_list'],
    })
    const after = await check(baseline, current)
    expect(after.objects.map((o) => o.name)).not.toEqual(expect.arrayContaining(objects))
    expect(after.objects.map((o) => o.name)).toContain('core.extension')
    const before = await readTarball(await kernel.artifacts.get(out.previous), 'before')
    expect(before.objects.has('views.view.reading_list')).toBe(true)
    expect(before.objects.has('node.type.event')).toBe(false)
  })

  // Both ways an accept can fail midway: writing the new content (here a collection folder
  // cannot be made, as a plain file has its name), or putting it in place (here a target name
  // is taken by a folder). Either way the config folder is left exactly as it was.
  it.each([
    ['writing the new content', { 'language/fr': () => 'not a folder' }, ['language.fr:system.site']],
    [
      'putting it in place',
      { 'system.theme.yml': null, 'system.theme.yml/keep': () => 'x' },
      // A new collection folder is made on the way; it goes again.
      ['language.de:system.site', 'system.theme'],
    ],
  ] as const)(
    'drift accept that fails while %s changes nothing in the config folder and leaves no temporary files',
    async (_when, obstacle, blocked) => {
      const baseline = await mutatedCopy(
        path.join(EXAMPLE_SITE, 'baseline'),
        path.join(project.dir, 'config/sync'),
        obstacle,
      )
      const current = await mutatedCopy(
        path.join(EXAMPLE_SITE, 'current'),
        path.join(project.dir, 'current'),
        {
          'language/fr/system.site.yml': () => 'name: Bonjour\n',
          'language/de/system.site.yml': () => 'name: Hallo\n',
        },
      )
      const before = await contents(baseline)
      const objects = [
        'node.type.event',
        'views.view.reading_list',
        'field.storage.node.field_subtitle',
        ...blocked,
      ]
      const asked = await kernel.gate
        .invoke('drift.accept', { baseline, current, objects }, agent)
        .catch((e: { details: { approval_id: string } }) => e.details.approval_id)
      await kernel.approvals.decide(asked as string, alice, 'approved')
      const failed = await kernel.gate
        .invoke('drift.accept', { baseline, current, objects }, agent, { approvalId: asked as string })
        .catch((e: unknown) => e)
      expect(failed).toMatchObject({
        code: 'io',
        message: expect.stringMatching(
          /^nothing was accepted: .*(language\/fr|system\.theme\.yml)/,
        ) as unknown,
      })
      expect(await contents(baseline)).toEqual(before)
    },
  )

  it('drift accept into a saved baseline writes a new version that keeps the one before', async () => {
    await kernel.gate.invoke(
      'drift.snapshot',
      { source: path.join(EXAMPLE_SITE, 'baseline'), name: 'release-1' },
      agent,
    )
    const current = path.join(EXAMPLE_SITE, 'current')
    const pending = await kernel.gate
      .invoke('drift.accept', { baseline: 'release-1', current, objects: ['core.extension'] }, agent)
      .catch((e: { details: { approval_id: string } }) => e.details.approval_id)
    await kernel.approvals.decide(pending as string, bob, 'approved')
    await kernel.gate.invoke(
      'drift.accept',
      { baseline: 'release-1', current, objects: ['core.extension'] },
      agent,
      { approvalId: pending as string },
    )
    const report = await check('release-1', current)
    expect(report.objects.map((o) => o.name)).not.toContain('core.extension')
    expect(report.objects.map((o) => o.name)).toContain('node.type.event')
  })
})

describe('the config-drift steps, composed from tools (what the flagship workflow will run)', () => {
  it('export, check against the baseline, approve, accept some objects and import the rest: the site ends without drift', async () => {
    project = await tempProject()
    const site = await standInSite(project, { active: path.join(EXAMPLE_SITE, 'current') })
    await writeFile(
      path.join(project.home, 'config.yaml'),
      standInConfig(
        site,
        'drift:\n  accept_site: [node.type.event, "field.*.node.event.*", field.storage.node.field_event_date]\n',
      ),
    )
    kernel = await drushKernel(project)
    const baseline = await mutatedCopy(
      path.join(EXAMPLE_SITE, 'baseline'),
      path.join(project.dir, 'config/sync'),
    )

    const exported = (await kernel.gate.invoke('drush.configExport', {}, agent)).output as { record: string }
    const report = await check(baseline, exported.record)
    expect(report.plan.reexport.map((i) => i.name)).toEqual([
      'field.field.node.event.body',
      'field.field.node.event.field_event_date',
      'field.storage.node.field_event_date',
      'node.type.event',
    ])
    expect(report.plan.steps.map((s) => s.tool)).toEqual(['drift.accept', 'drush.configImport'])
    for (const step of report.plan.steps) {
      const asked = await kernel.gate
        .invoke(step.tool, step.input, agent)
        .catch((e: { details: { approval_id: string } }) => e.details.approval_id)
      await kernel.approvals.decide(asked as string, alice, 'approved')
      await kernel.gate.invoke(step.tool, step.input, agent, { approvalId: asked as string })
    }
    const again = (await kernel.gate.invoke('drush.configExport', {}, agent)).output as { record: string }
    const after = await check(baseline, again.record)
    expect(after.drift).toBe(false)
    expect(await readFile(path.join(site, 'active/field.storage.node.field_subtitle.yml'), 'utf8')).toContain(
      'cardinality: 1\n',
    )
    expect(await readFile(path.join(baseline, 'node.type.event.yml'), 'utf8')).toContain('name: Event')
  })
})
