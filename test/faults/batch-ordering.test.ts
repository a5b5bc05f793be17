import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { json, runCli, tempProject, type TempProject } from '../helpers/project.js'
import { linkHello, startRun, waitForEvent } from '../helpers/workflow-cli.js'

let project: TempProject

// The longest batch interval there is: a record not yet flushed when the process is killed
// is surely lost, so the test sees whether the engine waited for it.
beforeEach(async () => {
  project = await tempProject({
    config:
      'audit:\n  fsync: batch\n  batch_interval_ms: 1000\nlauncher:\n  allowlist: [sleep]\n  kill_grace_ms: 200\nworkflow:\n  env_allowlist: [NAP]\n',
  })
  await linkHello(project)
  await writeFile(
    path.join(project.dir, 'two.yaml'),
    `apiVersion: driftcore/v1
kind: Workflow
name: two
steps:
  - id: first
    type: worker
    tool: hello.greet
    with: { name: first }
  - id: second
    type: worker
    tool: hello.sleep
    depends_on: [first]
    with: { seconds: "\${{ double(env.NAP) }}" }
    retry: { max_attempts: 3 }
`,
  )
})
afterEach(() => project.cleanup())

async function journal(runId: string): Promise<Record<string, any>[]> {
  const text = await readFile(path.join(project.home, 'runs', runId, 'journal.jsonl'), 'utf8')
  return text
    .split('\n')
    .filter((l) => l.endsWith('}'))
    .map((l) => JSON.parse(l) as Record<string, any>)
}

describe('fsync batch, killed with -9 right after a step is reported', () => {
  it('a step reported succeeded is on disk (journal and audit) and is not run again; the downstream step it let start was journaled before its process ran', async () => {
    const run = startRun(project, ['workflow', 'run', 'two.yaml', '--json'], { NAP: '30' })
    const created = await waitForEvent(run, (e) => e.type === 'run.created')
    const runId = created.run_id as string
    await waitForEvent(run, (e) => e.type === 'step.process' && e.step === 'second')
    run.kill('SIGKILL')
    await run

    const before = await journal(runId)
    expect(before.filter((e) => e.type === 'step.succeeded' && e.step === 'first')).toHaveLength(1)
    expect(before.filter((e) => e.type === 'step.started' && e.step === 'second')).toMatchObject([
      { attempt: 1, idempotency_key: `${runId}/second/1` },
    ])

    const resumed = await runCli(project, ['workflow', 'resume', runId, '--json'], { env: { NAP: '0.1' } })
    expect(resumed.exitCode).toBe(0)
    const after = await journal(runId)
    expect(after.filter((e) => e.type === 'step.started' && e.step === 'first')).toHaveLength(1)
    expect(
      after.filter((e) => e.type === 'step.started' && e.step === 'second').map((e) => e.attempt),
    ).toEqual([1, 2])
    expect(after.at(-1)).toMatchObject({ type: 'run.finished', status: 'succeeded' })
    const calls = json<{ data: { outcome: string; meta?: { step?: string } } }[]>(
      await runCli(project, ['audit', 'query', '--type', 'tool.call', '--json']),
    )
    expect(calls.filter((c) => c.data.meta?.step === 'first' && c.data.outcome === 'ok')).toHaveLength(1)
    expect((await runCli(project, ['audit', 'verify'])).exitCode).toBe(0)
  })
})
