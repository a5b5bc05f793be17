import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { json, runCli, tempProject, type TempProject } from '../helpers/project.js'
import { linkHello } from '../helpers/workflow-cli.js'

// `approvals approve --run` does what it says for a workflow step (resumes its run) as for a
// tool call, in words a person reads; afterwards the run and the trace say APPROVED, by whom.
let project: TempProject
const alice = { DRIFTCORE_ACTOR: 'human:alice' }

beforeEach(async () => {
  project = await tempProject({
    config: 'launcher:\n  allowlist: [sleep]\n',
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
  await writeFile(
    path.join(project.dir, 'nap.yaml'),
    `apiVersion: driftcore/v1
kind: Workflow
name: nap
steps:
  - id: nap
    type: worker
    tool: hello.sleep
    with: { seconds: 0.1 }
`,
  )
})
afterEach(() => project.cleanup())

async function suspendedRun(): Promise<{ runId: string; approval: string; text: string }> {
  const run = await runCli(project, ['workflow', 'run', 'nap.yaml'])
  expect(run.exitCode, run.stdout + run.stderr).toBe(5)
  const runId = /(run_[0-9a-z_]+)/.exec(run.stdout)![1]!
  const approval = /(apr_[0-9a-f]+)/.exec(run.stdout + run.stderr)![1]!
  return { runId, approval, text: run.stdout + run.stderr }
}

describe('approvals approve --run for a workflow step', () => {
  it('the suspended run names its approval id, and approve --run resumes it to the end', async () => {
    const { runId, approval, text } = await suspendedRun()
    expect(text).toContain(`driftcore approvals approve ${approval} --run`)
    expect(text).not.toContain('approvals approve ID')

    const approved = await runCli(project, ['approvals', 'approve', approval, '--run'], { env: alice })
    expect(approved.exitCode, approved.stdout + approved.stderr).toBe(0)
    expect(approved.stdout).toContain(`approved ${approval} (hello.sleep); resuming run ${runId}`)
    expect(approved.stdout).toContain(`${runId} succeeded`)
    expect(approved.stdout.trimStart()).not.toMatch(/^[{[]/)
    const status = json(await runCli(project, ['workflow', 'status', runId, '--json']))
    expect(status).toMatchObject({ status: 'succeeded', steps: { nap: { status: 'succeeded' } } })

    const timeline = await runCli(project, ['workflow', 'timeline', runId])
    const succeeded = timeline.stdout.split('\n').find((l) => l.includes('step.succeeded'))!
    expect(succeeded).toContain('APPROVED by human:alice')
    expect(succeeded).not.toContain('REQUIRE_APPROVAL')
  })

  it('with --json prints one object: the approval and how the resumed run ended', async () => {
    const { runId, approval } = await suspendedRun()
    const approved = await runCli(project, ['approvals', 'approve', approval, '--run', '--json'], {
      env: alice,
    })
    expect(approved.exitCode, approved.stderr).toBe(0)
    expect(json(approved)).toMatchObject({
      approval: { id: approval, status: 'approved', workflow: { run_id: runId, step: 'nap' } },
      run: { run_id: runId, status: 'succeeded', resumed: true },
    })
  })

  it('without --run says exactly how to continue the run', async () => {
    const { runId, approval } = await suspendedRun()
    const approved = await runCli(project, ['approvals', 'approve', approval], { env: alice })
    expect(approved.stdout).toContain(`continue the run with: driftcore workflow resume ${runId}`)
    expect(json(await runCli(project, ['workflow', 'status', runId, '--json'])).status).toBe('suspended')
  })
})

describe('approvals approve --run for a tool call', () => {
  it('runs it and says so in words; the trace line says APPROVED by the approver', async () => {
    const asked = await runCli(project, [
      'tools',
      'call',
      'hello.sleep',
      '--input',
      '{"seconds":0.1}',
      '--json',
    ])
    expect(asked.exitCode).toBe(5)
    const id = json(asked).error.details.approval_id as string
    const approved = await runCli(project, ['approvals', 'approve', id, '--run'], { env: alice })
    expect(approved.exitCode, approved.stderr).toBe(0)
    expect(approved.stdout).toContain(`approved ${id} and ran hello.sleep for human:tester`)
    expect(approved.stderr).toContain('APPROVED by human:alice')
    expect(approved.stderr).not.toContain('REQUIRE_APPROVAL')
  })

  it('a call repeated with --approval reports APPROVED by the approver', async () => {
    const asked = await runCli(project, [
      'tools',
      'call',
      'hello.sleep',
      '--input',
      '{"seconds":0.1}',
      '--json',
    ])
    const id = json(asked).error.details.approval_id as string
    expect((await runCli(project, ['approvals', 'approve', id], { env: alice })).stdout).toContain(
      `--approval ${id}`,
    )
    const run = await runCli(project, [
      'tools',
      'call',
      'hello.sleep',
      '--input',
      '{"seconds":0.1}',
      '--approval',
      id,
    ])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stderr).toContain('APPROVED by human:alice')
  })
})
