import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { json, runCli, tempProject, testKernel, type TempProject } from '../helpers/project.js'

/** `driftcore status`: what a person looks at first, on one screen, and the same in --json. */
let project: TempProject
let approvalId: string
beforeAll(async () => {
  project = await tempProject()
  expect((await runCli(project, ['init'])).exitCode).toBe(0)
  const kernel = await testKernel(project)
  approvalId = (
    await kernel.approvals.requestDecision({
      subject: 'workflow:deploy/confirm',
      inputHash: 'c'.repeat(64),
      inputSummary: 'deploy to prod',
      requester: { type: 'agent', id: 'copilot' },
      reason: 'a person confirms the deploy',
      traceId: 'trace-status',
      workflow: { run_id: 'run_7', step: 'confirm' },
    })
  ).id
  await kernel.close()
  await mkdir(path.join(project.home, 'workflows'), { recursive: true })
  await writeFile(
    path.join(project.home, 'workflows/broken.yaml'),
    'apiVersion: driftcore/v1\nkind: Workflow\nname: broken\nsteps:\n  - id: check\n    type: worker\n    tool: audit.verify\n    with: { nonsense: true }\n',
  )
  await runCli(project, ['workflow', 'run', 'broken'])
}, 120_000)
afterAll(() => project.cleanup())

describe('driftcore status', () => {
  it('shows the project, pending approvals, failed runs, drift, the policy in force and the audit head', async () => {
    const human = await runCli(project, ['status'], { env: { COLUMNS: '100' } })
    expect(human.exitCode, human.stderr).toBe(0)
    const out = human.stdout
    expect(out).toContain(project.dir)
    expect(out).toContain('1 pending')
    expect(out).toContain(approvalId)
    expect(out).toMatch(/1 failed/)
    expect(out).toContain('broken')
    expect(out).toContain('never checked')
    expect(out).toMatch(/snapshot 1 · default/)
    expect(out).toMatch(/audit\s+record \d+ · head [0-9a-f]{16}…/)
    expect(Math.max(...out.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100)

    const status = json(await runCli(project, ['status', '--json']))
    expect(status.project.root).toBe(project.dir)
    expect(status.approvals.requests.map((r: { id: string }) => r.id)).toEqual([approvalId])
    expect(status.runs.failed.map((r: { workflow: string }) => r.workflow)).toEqual(['broken'])
    expect(status.drift).toBeNull()
    expect(status.policy).toMatchObject({ version: 1, pinned: false, bundles: ['default'] })
    expect(status.audit.hash).toMatch(/^[0-9a-f]{64}$/)
  })
})
