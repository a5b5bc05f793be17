// Issue 13: drift plans close over config dependencies, and the import they plan is one Drupal
// accepts (the stand-in refuses an import that leaves an object without what it needs, as
// ConfigImporter does).
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Kernel } from '../../../../src/kernel/open.js'
import { tempProject, type TempProject } from '../../../../test/helpers/project.js'
import type { DriftReport } from '../../src/drift/check.js'
import { LIVE_SYNC, LiveStandIn } from '../helpers/live.js'
import { ALLOW_ALL, drushKernel, EXAMPLE_SITE, mutatedCopy, STAND_IN } from '../helpers/site.js'

let project: TempProject | undefined
let kernel: Kernel | undefined
let site: LiveStandIn | undefined
let scratch: string | undefined
const alice = { type: 'human', id: 'alice' }
afterEach(async () => {
  await kernel?.close()
  await project?.cleanup()
  await site?.remove()
  if (scratch) await rm(scratch, { recursive: true, force: true })
  project = kernel = site = scratch = undefined
})

async function open(flags: string[], extra = ''): Promise<Kernel> {
  project = await tempProject({ policy: ALLOW_ALL })
  await writeFile(path.join(project.home, 'config.yaml'), extra)
  kernel = await drushKernel(project, flags)
  return kernel
}

const check = async (k: Kernel, baseline: string, current: string) =>
  (await k.gate.invoke('drift.check', { baseline, current }, alice)).output as DriftReport

const EVENT_DATE = [
  'field.field.node.event.field_event_date',
  'field.storage.node.field_event_date',
  'node.type.event',
]

describe('drift plans and config dependencies', () => {
  it('accepting field.field.node.event.field_event_date accepts its storage and its content type', async () => {
    const k = await open(['drift.accept_site=[field.field.node.event.field_event_date]'])
    const report = await check(k, path.join(EXAMPLE_SITE, 'baseline'), path.join(EXAMPLE_SITE, 'current'))
    expect(report.plan.reexport.map((i) => [i.name, i.needed_by])).toEqual([
      ['field.field.node.event.field_event_date', undefined],
      ['field.storage.node.field_event_date', 'field.field.node.event.field_event_date'],
      ['node.type.event', 'field.field.node.event.field_event_date'],
    ])
    expect(report.plan.import.map((i) => i.name)).not.toContain('field.storage.node.field_event_date')
    // The import that follows never deletes what the accepted field needs.
    const deleted = report.plan.order.filter((o) => o.op === 'delete').map((o) => o.name)
    expect(deleted).toEqual(['field.field.node.event.body'])
    expect(deleted.some((n) => EVENT_DATE.includes(n))).toBe(false)
  })

  it('refuses to accept an object whose dependency neither side has, and imports it instead, saying why', async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'drift-deps-'))
    const current = await mutatedCopy(path.join(EXAMPLE_SITE, 'current'), path.join(scratch, 'current'), {
      'node.type.event.yml': null,
      'field.field.node.event.body.yml': null,
    })
    const k = await open(
      ['drift.accept_site=[field.field.node.event.field_event_date]'],
      `files:\n  read_roots: [${JSON.stringify(scratch)}, ${JSON.stringify(EXAMPLE_SITE)}]\n`,
    )
    const report = await check(k, path.join(EXAMPLE_SITE, 'baseline'), current)
    expect(report.plan.reexport).toEqual([])
    expect(
      report.plan.import.find((i) => i.name === 'field.field.node.event.field_event_date'),
    ).toMatchObject({
      refused: 'it needs node.type.event, which neither the baseline nor the site has',
    })
    expect(report.plan.notes).toContain(
      'not accepting field.field.node.event.field_event_date: it needs node.type.event, which neither the baseline nor the site has; it is imported instead',
    )
  })

  it('drift.accept called directly refuses a baseline Drupal could not import, writing nothing', async () => {
    const k = await open([])
    const inProject = await mutatedCopy(
      path.join(EXAMPLE_SITE, 'baseline'),
      path.join(project!.dir, 'config-sync'),
    )
    const error = await k.gate
      .invoke(
        'drift.accept',
        {
          baseline: inProject,
          current: path.join(EXAMPLE_SITE, 'current'),
          objects: ['field.field.node.event.field_event_date'],
        },
        alice,
      )
      .catch((e: unknown) => e)
    expect(error).toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining(
        'field.field.node.event.field_event_date needs field.storage.node.field_event_date, which the baseline would not have',
      ),
    })
    expect(await readdir(inProject)).not.toContain('field.field.node.event.field_event_date.yml')
  })

  it('the plan carried out on the live site: accept, then the full import, which Drupal (the stand-in) accepts', async () => {
    project = await tempProject({ policy: ALLOW_ALL })
    site = await LiveStandIn.create()
    // The baseline predates the event date field; the site has it, and the team accepts it.
    const baseline = await mutatedCopy(LIVE_SYNC, path.join(project.dir, 'config/sync'), {
      'field.field.node.event.field_event_date.yml': null,
      'field.storage.node.field_event_date.yml': null,
      'core.entity_form_display.node.event.default.yml': (t) =>
        t.replace(/ +- field\.field\.node\.event\.field_event_date\n/, ''),
      'core.entity_view_display.node.event.default.yml': (t) =>
        t.replace(/ +- field\.field\.node\.event\.field_event_date\n/, ''),
    })
    await writeFile(
      path.join(project.home, 'config.yaml'),
      `launcher:\n  allowlist: [${STAND_IN}]\ndrush:\n  command: [${STAND_IN}]\n  root: ${site.root}\nfiles:\n  read_roots: [${JSON.stringify(site.base)}]\n`,
    )
    kernel = await drushKernel(project, ['drift.accept_site=[field.field.node.event.field_event_date]'])
    const exported = (await kernel.gate.invoke('drush.configExport', {}, alice)).output as { record: string }
    const report = await check(kernel, baseline, exported.record)
    expect(report.plan.reexport.map((i) => i.name)).toEqual([
      'field.field.node.event.field_event_date',
      'field.storage.node.field_event_date',
    ])
    for (const step of report.plan.steps) await kernel.gate.invoke(step.tool, step.input, alice)
    expect(await readdir(path.join(site.root, 'active'))).toContain('field.storage.node.field_event_date.yml')
  })
})
