import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { json, runCli, tempProject, type TempProject } from '../helpers/project.js'
import { linkHello, startRun, waitForEvent } from '../helpers/workflow-cli.js'

let project: TempProject
const alice = { DRIFTCORE_ACTOR: 'human:alice' }

beforeEach(async () => {
  project = await tempProject({
    config: 'launcher:\n  allowlist: [sleep]\n  kill_grace_ms: 200\nworkflow:\n  env_allowlist: [NAP]\n',
    policy: {
      'naps.yaml': `apiVersion: driftcore/v1
kind: PolicyBundle
name: naps
rules:
  - id: naps-need-a-person
    decision: REQUIRE_APPROVAL
    match: { tools: [hello.sleep] }
`,
    },
  })
  await linkHello(project)
  // The input does not depend on NAP: the approval is bound to it.
  await writeFile(
    path.join(project.dir, 'nap.yaml'),
    `apiVersion: driftcore/v1
kind: Workflow
name: nap
steps:
  - id: nap
    type: worker
    tool: hello.sleep
    with: { seconds: 1.5 }
`,
  )
})
afterEach(() => project.cleanup())

describe('an approved worker step killed mid-attempt (fsync batch)', () => {
  it('is resumed with the approval its interrupted attempt used, and finishes; nothing is dead-lettered', async () => {
    const run = await runCli(project, ['workflow', 'run', 'nap.yaml', '--json'])
    expect(run.exitCode).toBe(5)
    const suspended = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, any>
    const runId = suspended.run_id as string
    const approval = suspended.steps.nap.approval_id as string
    expect((await runCli(project, ['approvals', 'approve', approval], { env: alice })).exitCode).toBe(0)

    const resumed = startRun(project, ['workflow', 'resume', runId, '--json'])
    await waitForEvent(resumed, (e) => e.type === 'step.process')
    resumed.kill('SIGKILL')
    await resumed

    const again = await runCli(project, ['workflow', 'resume', runId, '--json'])
    expect(again.stdout + again.stderr).not.toContain('is used')
    expect(again.exitCode, again.stdout + again.stderr).toBe(0)
    const status = json(await runCli(project, ['workflow', 'status', runId, '--json']))
    expect(status).toMatchObject({ status: 'succeeded', steps: { nap: { status: 'succeeded' } } })
    expect(json(await runCli(project, ['dlq', 'list', '--json']))).toEqual([])
    // The retry is the interrupted attempt itself: same attempt, trace and idempotency key.
    const events = (await readFile(path.join(project.home, 'runs', runId, 'journal.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, any>)
    const starts = events.filter((e) => e.type === 'step.started' && e.approval_id)
    expect(starts).toHaveLength(2)
    expect(starts[1]).toMatchObject({
      attempt: starts[0]!.attempt,
      trace_id: starts[0]!.trace_id,
      idempotency_key: starts[0]!.idempotency_key,
      approval_id: approval,
    })
    expect((await runCli(project, ['audit', 'verify'])).exitCode).toBe(0)
  })
})
