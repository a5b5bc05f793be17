// Issue 13: `drift check` with the site's sync folder as baseline agrees with what real Drush 13.3
// said in config:status, object by object (live captures; the site is the stand-in reproducing
// them, see captures.test.ts).
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Kernel } from '../../../../src/kernel/open.js'
import { tempProject, type TempProject } from '../../../../test/helpers/project.js'
import type { DriftReport } from '../../src/drift/check.js'
import { capture, LIVE_SYNC, LiveStandIn } from '../helpers/live.js'
import { drushKernel, mutatedCopy, STAND_IN } from '../helpers/site.js'

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

async function edited(edits: Record<string, ((text: string) => string) | null>): Promise<string> {
  scratch ??= await mkdtemp(path.join(os.tmpdir(), 'drupal-agree-'))
  return mutatedCopy(LIVE_SYNC, path.join(scratch, String(Math.random()).slice(2)), edits)
}

async function driftOf(options: Parameters<typeof LiveStandIn.create>[0]): Promise<DriftReport> {
  project = await tempProject()
  site = await LiveStandIn.create(options)
  await writeFile(
    path.join(project.home, 'config.yaml'),
    `launcher:\n  allowlist: [${STAND_IN}]\ndrush:\n  command: [${STAND_IN}]\n  root: ${site.root}\nfiles:\n  read_roots: [${JSON.stringify(site.base)}]\n`,
  )
  kernel = await drushKernel(project)
  const exported = (await kernel.gate.invoke('drush.configExport', {}, alice)).output as { record: string }
  return (await kernel.gate.invoke('drift.check', { baseline: site.sync, current: exported.record }, alice))
    .output as DriftReport
}

/** drift check's findings in config:status's words (the baseline is the sync folder). */
function asConfigStatus(report: DriftReport): Record<string, { name: string; state: string }> {
  const state = (o: DriftReport['objects'][number]) =>
    o.status === 'added'
      ? 'Only in DB'
      : o.status === 'removed' || o.recreated
        ? 'Only in sync dir'
        : 'Different'
  return Object.fromEntries(report.objects.map((o) => [o.name, { name: o.name, state: state(o) }]))
}

const configStatus = async (name: string) => {
  const text = (await capture(name)).stdout.trim()
  return text === '[]' ? {} : (JSON.parse(text) as Record<string, { name: string; state: string }>)
}

describe('drift check on sync/ agrees with config:status, object by object', () => {
  it('config-status-changed: Only in sync dir, Different, Only in DB', async () => {
    const report = await driftOf({
      active: await edited({
        'block.block.olivero_powered.yml': null,
        'system.site.yml': (t) => t.replace("name: 'Driftcore Test'", "name: 'Renamed on the site'"),
      }),
      sync: await edited({ 'taxonomy.vocabulary.audience.yml': null }),
    })
    expect(asConfigStatus(report)).toEqual(await configStatus('config-status-changed'))
  })

  it('config-status-before-export: an empty sync folder, all 198 objects Only in DB', async () => {
    const report = await driftOf({
      active: await edited({ 'taxonomy.vocabulary.audience.yml': null }),
      sync: null,
    })
    expect(report.summary.added).toBe(198)
    expect(asConfigStatus(report)).toEqual(await configStatus('config-status-before-export'))
  })

  it('config-status-synced: in sync, no drift', async () => {
    const report = await driftOf({})
    expect(report.drift).toBe(false)
    expect(asConfigStatus(report)).toEqual(await configStatus('config-status-synced'))
  })
})
