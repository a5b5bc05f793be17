import { existsSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli, tempProject, type TempProject } from '../helpers/project.js'
import { linkHello, startRun, waitForEvent } from '../helpers/workflow-cli.js'

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
  - id: after
    type: worker
    tool: hello.greet
    depends_on: [nap]
    with: { name: after }
`,
  )
})
afterEach(() => project.cleanup())

async function journal(runId: string): Promise<Record<string, any>[]> {
  const text = await readFile(path.join(project.home, 'runs', runId, 'journal.jsonl'), 'utf8')
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>)
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 20))
  expect(check()).toBe(true)
}

describe('two workflow resume processes at once', () => {
  it('the late one, descheduled after reading the journal, neither truncates the winner’s events nor re-runs its steps', async () => {
    const first = startRun(project, ['workflow', 'run', 'nap.yaml', '--json'], { NAP: '37.7' })
    const runId = (await waitForEvent(first, (e) => e.type === 'run.created')).run_id as string
    await waitForEvent(first, (e) => e.type === 'step.process')
    first.kill('SIGKILL')
    await first

    // The late resume reads the journal, then is held before it takes ownership.
    const gate = path.join(project.dir, 'hold')
    await writeFile(gate, '')
    const late = startRun(project, ['workflow', 'resume', runId, '--json'], {
      NAP: '0.1',
      DRIFTCORE_FAULT_PAUSE: `before-ownership:${gate}`,
    })
    await until(() => existsSync(`${gate}.reached`))

    // Meanwhile the winner resumes and finishes the run.
    const winner = await runCli(project, ['workflow', 'resume', runId, '--json'], { env: { NAP: '0.1' } })
    expect(winner.exitCode).toBe(0)
    const finished = await journal(runId)
    expect(finished.at(-1)).toMatchObject({ type: 'run.finished', status: 'succeeded' })

    await rm(gate)
    const result = await late
    expect(result.exitCode).toBe(6)
    expect(String(result.stdout) + String(result.stderr)).toContain(
      'changed while this process was loading it',
    )
    // Nothing the winner wrote was cut, nothing ran a third time.
    expect(await journal(runId)).toEqual(finished)
    expect((await runCli(project, ['workflow', 'status', runId, '--json'])).stdout).toContain('"succeeded"')
  })
})
