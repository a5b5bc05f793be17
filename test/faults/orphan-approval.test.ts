import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { json, runCli, tempProject, testKernel, type TempProject } from '../helpers/project.js'

let project: TempProject

beforeEach(async () => {
  project = await tempProject()
  await writeFile(
    path.join(project.dir, 'ask.yaml'),
    `apiVersion: driftcore/v1
kind: Workflow
name: ask
steps:
  - id: confirm
    type: approval
    message: go?
  - id: deploy
    type: approval
    message: deploy?
    depends_on: [confirm]
`,
  )
})
afterEach(() => project.cleanup())

describe('an approval request written before its step.waiting line (a crash between the two)', () => {
  it('is withdrawn when the run is cancelled, like the ones the journal names', async () => {
    const run = await runCli(project, ['workflow', 'run', 'ask.yaml', '--json'])
    expect(run.exitCode).toBe(5)
    const suspended = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, any>
    const runId = suspended.run_id as string

    // What the crashed process left: a request for the run's next step, never journaled.
    const kernel = await testKernel(project)
    let orphan: string
    try {
      orphan = (
        await kernel.approvals.requestDecision({
          subject: 'workflow:ask/deploy',
          inputHash: 'h',
          inputSummary: 'deploy?',
          requester: { type: 'human', id: 'tester' },
          reason: 'deploy?',
          traceId: 't',
          workflow: { run_id: runId, step: 'deploy' },
        })
      ).id
    } finally {
      await kernel.close()
    }

    expect((await runCli(project, ['workflow', 'cancel', runId, '--reason', 'stop'])).exitCode).toBe(0)
    const pending = json<{ id: string }[]>(await runCli(project, ['approvals', 'list', '--json']))
    expect(pending.map((a) => a.id)).not.toContain(orphan)
    const shown = json<{ status: string }>(await runCli(project, ['approvals', 'show', orphan, '--json']))
    expect(shown.status).toBe('withdrawn')
  })
})
