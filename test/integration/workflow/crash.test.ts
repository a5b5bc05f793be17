import { readFileSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { json, runCli, tempProject, type TempProject } from '../../helpers/project.js'
import { linkHello, startRun, waitForEvent } from '../../helpers/workflow-cli.js'

let project: TempProject

beforeEach(async () => {
  project = await tempProject({
    config: 'launcher:\n  allowlist: [sleep]\n  kill_grace_ms: 200\nworkflow:\n  env_allowlist: [NAP]\n',
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
    with: { seconds: "\${{ double(env.NAP) }}" }
    retry: { max_attempts: 1 }
  - id: after
    type: worker
    tool: hello.greet
    depends_on: [nap]
    with: { name: after }
`,
  )
})
afterEach(() => project.cleanup())

// A killed orphan may linger as a zombie until something reaps it: that is not running.
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

async function gone(pid: number): Promise<void> {
  for (let i = 0; i < 250 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 20))
  expect(alive(pid)).toBe(false)
}

describe('a workflow process killed with -9', () => {
  it('is resumed: the interrupted step runs again with a new attempt, its orphaned child is ended, the run finishes', async () => {
    const run = startRun(project, ['workflow', 'run', 'nap.yaml', '--json'], { NAP: '37.7' })
    const started = await waitForEvent(run, (e) => e.type === 'run.created')
    const proc = await waitForEvent(run, (e) => e.type === 'step.process')
    const runId = started.run_id as string
    const orphan = proc.pid as number
    await new Promise((resolve) => setTimeout(resolve, 300)) // let the batch reach the journal
    run.kill('SIGKILL')
    await run
    // The step's process runs in a PID namespace under bwrap --die-with-parent: it ends with the
    // workflow process itself, before any resume (which would kill its group otherwise:
    // test/security/process-escape.test.ts kills a journaled pid that way).
    await gone(orphan)

    const status = json(await runCli(project, ['workflow', 'status', runId, '--json']))
    expect(status).toMatchObject({ status: 'running', steps: { nap: { status: 'running', attempt: 1 } } })
    expect(status.owner).toBeUndefined()
    expect(json(await runCli(project, ['workflow', 'list', '--json']))[0]).toMatchObject({
      run_id: runId,
      status: 'running',
      interrupted: true,
    })

    const resumed = await runCli(project, ['workflow', 'resume', runId, '--json'], { env: { NAP: '0.1' } })
    expect(resumed.exitCode).toBe(0)
    const lines = resumed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, any>)
    expect(lines.at(-1)).toMatchObject({
      run_id: runId,
      status: 'succeeded',
      steps: { nap: { status: 'succeeded', attempt: 2 } },
    })
    expect(lines.map((l) => l.type as string)).toContain('step.interrupted')
    expect(alive(orphan)).toBe(false)
    const second = lines.find((l) => l.type === 'step.started' && l.step === 'nap')
    expect(second).toMatchObject({ attempt: 2, idempotency_key: `${runId}/nap/2` })

    // The lock the killed attempt held (hello.sleep takes sleep:<seconds>) is released on
    // resume, and the release is audited with the run and step.
    expect(json(await runCli(project, ['locks', 'list', '--json']))).toEqual([])
    const released = json<{ subject: string; actor: unknown; data: Record<string, unknown> }[]>(
      await runCli(project, ['audit', 'query', '--type', 'lock.released', '--json']),
    )
    expect(released).toEqual([
      expect.objectContaining({
        subject: 'sleep:37.7',
        actor: { type: 'workflow', id: runId },
        data: expect.objectContaining({
          reason: 'interrupted attempt',
          run_id: runId,
          step: 'nap',
        }) as unknown,
      }),
    ])

    const journal = await readFile(path.join(project.home, 'runs', runId, 'journal.jsonl'), 'utf8')
    expect(
      journal
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { seq: number }).seq),
    ).toEqual(
      journal
        .split('\n')
        .filter(Boolean)
        .map((_l, i) => i + 1),
    )
  })
})

describe('workflow cancel from another process', () => {
  it('stops the run, kills the running step’s child process, and cancels its dependents', async () => {
    const run = startRun(project, ['workflow', 'run', 'nap.yaml', '--json'], { NAP: '38.3' })
    const runId = (await waitForEvent(run, (e) => e.type === 'run.created')).run_id as string
    const child = (await waitForEvent(run, (e) => e.type === 'step.process')).pid as number
    const cancel = await runCli(project, ['workflow', 'cancel', runId, '--reason', 'test', '--json'])
    expect(json(cancel)).toMatchObject({ run_id: runId, status: 'cancelled' })
    expect(alive(child)).toBe(false)
    expect((await run).exitCode).toBe(130)
    const status = json(await runCli(project, ['workflow', 'status', runId, '--json']))
    expect(status.steps).toMatchObject({ nap: { status: 'cancelled' }, after: { status: 'cancelled' } })
    expect(status.cancel).toMatchObject({ reason: 'test', by: { type: 'human', id: 'tester' } })
  })
})
