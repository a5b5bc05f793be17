import { cp, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { verifyAudit } from '../../../src/audit/verify.js'
import type { Kernel } from '../../../src/kernel/open.js'
import { WorkflowService } from '../../../src/workflow/service.js'
import {
  drushKernel,
  EXAMPLE_SITE,
  standInConfig,
  standInSite,
} from '../../../plugins/drush/test/helpers/site.js'
import { json, runCli, tempProject, type TempProject } from '../../helpers/project.js'

const agent = { type: 'agent', id: 'copilot' }
const reviewer = { type: 'human', id: 'reviewer' }
let project: TempProject
let kernel: Kernel | undefined

beforeEach(async () => {
  project = await tempProject()
})
afterEach(async () => {
  await kernel?.close()
  kernel = undefined
  await project.cleanup()
})

describe('the drupal pack flagship workflows', () => {
  it('config-drift against a live site (Drush stand-in): export, check, two approved remediations, and the site ends without drift', async () => {
    const site = await standInSite(project, { active: path.join(EXAMPLE_SITE, 'current') })
    await cp(path.join(EXAMPLE_SITE, 'baseline'), path.join(project.dir, 'baseline'), { recursive: true })
    await writeFile(
      path.join(project.home, 'config.yaml'),
      standInConfig(
        site,
        'drift:\n  accept_site: [node.type.event, "field.*.node.event.*", field.storage.node.field_event_date]\n',
      ),
    )
    kernel = await drushKernel(project)
    const runs = new WorkflowService(kernel, { actor: agent })

    const first = await runs.start('config-drift', { baseline: 'baseline' })
    expect(first.state.status).toBe('suspended')
    expect(first.state.steps.export?.status).toBe('succeeded')
    expect(first.state.steps.check?.output).toMatchObject({
      drift: true,
      summary: { added: 4, removed: 1, changed: 3 },
    })
    const acceptApproval = first.state.steps.accept?.approval_id
    expect(acceptApproval).toMatch(/^apr_/)
    expect((await kernel.approvals.get(acceptApproval!)).tool).toBe('drift.accept')

    await kernel.approvals.decide(acceptApproval!, reviewer, 'approved')
    const second = await runs.resume(first.state.run_id)
    expect(second.state.status).toBe('suspended')
    expect(second.state.steps.accept?.status).toBe('succeeded')
    const importApproval = second.state.steps.restore?.approval_id
    const pending = await kernel.approvals.get(importApproval!)
    expect(pending).toMatchObject({ tool: 'drush.configImport' })
    expect(pending.input_summary).toContain('core.extension')

    await kernel.approvals.decide(importApproval!, reviewer, 'approved')
    const done = await runs.resume(first.state.run_id)
    expect(done.state.status).toBe('succeeded')
    expect(done.state.steps.recheck?.output).toMatchObject({ drift: false })
    await kernel.close()
    expect((await verifyAudit(kernel.paths.audit)).ok).toBe(true)
  })

  it('config-drift refuses a run without a baseline, naming the input problem', async () => {
    kernel = await drushKernel(project)
    await expect(
      new WorkflowService(kernel, { actor: agent }).start('config-drift', {}),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('baseline'),
    })
  })

  it('metadata-inspection reports the new bundle and the changed field between two harvests of the example site', async () => {
    kernel = await drushKernel(project)
    const runs = new WorkflowService(kernel, { actor: agent })
    const first = await runs.start('metadata-inspection', {
      from: 'config',
      source: path.join(EXAMPLE_SITE, 'baseline'),
    })
    expect(first.state.status).toBe('succeeded')
    expect(first.state.steps.compare?.status).toBe('skipped')
    expect(first.state.steps.changed?.output).toBe(false)
    const second = await runs.start('metadata-inspection', {
      from: 'config',
      source: path.join(EXAMPLE_SITE, 'current'),
    })
    expect(second.state.steps.changed?.output).toBe(true)
    const deltas = (
      second.state.steps.compare?.output as { deltas: { change: string; kind: string; id: string }[] }
    ).deltas
    expect(deltas.map((d) => `${d.change} ${d.kind} ${d.id}`)).toEqual(
      expect.arrayContaining(['added bundle node.event', 'changed field node.article.field_subtitle']),
    )
  })
})

describe('driftcore demo', () => {
  it('runs the main job on the embedded example site with no server, pausing for and recording a human approval', async () => {
    const dir = path.join(project.dir, 'demo')
    const result = await runCli(project, ['demo', '--dir', dir, '--json'], { timeoutMs: 120_000 })
    expect(result.exitCode, result.stderr).toBe(0)
    const demo = json(result)
    expect(demo.audit.ok).toBe(true)
    expect(demo.approval).toMatch(/^apr_/)
    const trail = json(
      await runCli({ ...project, dir }, ['audit', 'query', '--type', 'approval.*', '--json']),
    )
    expect(trail.map((r: { type: string; actor: { id: string } }) => `${r.type} ${r.actor.id}`)).toEqual([
      'approval.requested demo-copilot',
      'approval.approved demo-reviewer',
      'approval.used demo-copilot',
    ])
    const recheck = json(
      await runCli({ ...project, dir }, [
        'drift',
        'check',
        '--baseline',
        'config/baseline',
        '--current',
        'config/live',
        '--json',
      ]),
    )
    expect(recheck.plan.reexport).toEqual([])
    expect(recheck.plan.import.map((o: { name: string }) => o.name)).toContain('core.extension')
  })
})
