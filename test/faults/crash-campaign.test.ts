import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { json, runCli, tempProject, type TempProject } from '../helpers/project.js'
import { linkHello, startRun, waitForEvent } from '../helpers/workflow-cli.js'

// A 29-step workflow: four parallel chains, a worker with a child process, a durable delay and
// a person's approval. It is killed with SIGKILL at scripted points, resumed until it is done,
// and every step's effect (its `ok` tool.call record) is counted.
const CHAINS = 4
const LENGTH = 6
const chain = (c: number, i: number) => `b${c}_${i}`

function workflowYaml(): string {
  const steps: string[] = ['  - { id: start, type: worker, tool: hello.greet, with: { name: start } }']
  for (let c = 1; c <= CHAINS; c++)
    for (let i = 1; i <= LENGTH; i++)
      steps.push(
        `  - { id: ${chain(c, i)}, type: worker, tool: hello.greet, with: { name: ${chain(c, i)} }, depends_on: [${i === 1 ? 'start' : chain(c, i - 1)}] }`,
      )
  steps.push(
    '  - { id: nap, type: worker, tool: hello.sleep, with: { seconds: 0.4 }, depends_on: [start], retry: { max_attempts: 2 } }',
    `  - { id: pause, type: delay, duration: 100ms, depends_on: [${chain(1, LENGTH)}] }`,
    `  - { id: confirm, type: approval, message: ship it?, depends_on: [${chain(2, LENGTH)}, ${chain(3, LENGTH)}, nap, pause] }`,
    `  - { id: end, type: worker, tool: hello.greet, with: { name: end }, depends_on: [confirm, ${chain(4, LENGTH)}] }`,
  )
  return `apiVersion: driftcore/v1\nkind: Workflow\nname: campaign\nsteps:\n${steps.join('\n')}\n`
}
const WORKER_STEPS = [
  'start',
  ...Array.from({ length: CHAINS * LENGTH }, (_, k) => chain(Math.floor(k / LENGTH) + 1, (k % LENGTH) + 1)),
  'nap',
  'end',
]

let project: TempProject
beforeAll(async () => {
  project = await tempProject({ config: 'launcher:\n  allowlist: [sleep]\n  kill_grace_ms: 200\n' })
  await linkHello(project)
  await writeFile(path.join(project.dir, 'campaign.yaml'), workflowYaml())
})
afterAll(() => project.cleanup())

async function journal(runId: string): Promise<Record<string, any>[]> {
  const text = await readFile(path.join(project.home, 'runs', runId, 'journal.jsonl'), 'utf8')
  return text
    .split('\n')
    .filter((l) => l.endsWith('}'))
    .map((l) => JSON.parse(l) as Record<string, any>)
}

// Resumes (approving when the run waits on a person) until the run is over.
async function finish(runId: string): Promise<Record<string, any>> {
  for (let i = 0; i < 6; i++) {
    const status = json(await runCli(project, ['workflow', 'status', runId, '--json']))
    if (status.status === 'succeeded' || status.status === 'failed') return status
    const approval = status.steps.confirm?.approval_id as string | undefined
    if (status.steps.confirm?.status === 'waiting' && approval) {
      const shown = json(await runCli(project, ['approvals', 'show', approval, '--json']))
      if (shown.status === 'pending')
        expect(
          (
            await runCli(project, ['approvals', 'approve', approval], {
              env: { DRIFTCORE_ACTOR: 'human:alice' },
            })
          ).exitCode,
        ).toBe(0)
    }
    await runCli(project, ['workflow', 'resume', runId, '--json'])
  }
  return json(await runCli(project, ['workflow', 'status', runId, '--json']))
}

async function effects(runId: string): Promise<Map<string, number>> {
  const calls = json<{ data: { outcome: string; meta?: { run_id?: string; step?: string } } }[]>(
    await runCli(project, ['audit', 'query', '--type', 'tool.call', '--json']),
  )
  const counts = new Map<string, number>()
  for (const c of calls)
    if (c.data.outcome === 'ok' && c.data.meta?.run_id === runId)
      counts.set(c.data.meta.step!, (counts.get(c.data.meta.step!) ?? 0) + 1)
  return counts
}

async function campaign(
  kill: ((run: ReturnType<typeof startRun>) => Promise<void>) | undefined,
  env: NodeJS.ProcessEnv = {},
): Promise<void> {
  const run = startRun(project, ['workflow', 'run', 'campaign.yaml', '--json'], env)
  const created = waitForEvent(run, (e) => e.type === 'run.created')
  await kill?.(run)
  const runId = (await created).run_id as string
  const result = await run
  expect(result.signal).toBe('SIGKILL')

  const before = await journal(runId)
  const done = new Set(before.filter((e) => e.type === 'step.succeeded').map((e) => e.step as string))
  const interrupted = new Set<string>()
  for (const e of before) {
    if (e.type === 'step.started') interrupted.add(e.step as string)
    if (e.type === 'step.succeeded' || e.type === 'step.waiting') interrupted.delete(e.step as string)
  }

  const status = await finish(runId)
  expect(status.status).toBe('succeeded')
  const counts = await effects(runId)
  for (const step of WORKER_STEPS) {
    const n = counts.get(step) ?? 0
    if (done.has(step)) expect(n, `${step} succeeded before the kill`).toBe(1)
    else if (interrupted.has(step)) expect(n, `${step} was interrupted`).toBeGreaterThanOrEqual(1)
    else expect(n, `${step} ran after the kill`).toBe(1)
    expect(n, step).toBeLessThanOrEqual(interrupted.has(step) ? 2 : 1)
  }
  expect((await runCli(project, ['audit', 'verify'])).exitCode).toBe(0)
}

describe('the crash campaign: SIGKILL at scripted points, then resume', () => {
  const points = ['run.attached:1', 'step.started:9', 'step.succeeded:14', 'step.waiting:1']
  for (const point of points) {
    it(`killed right after ${point}`, async () => {
      await campaign(undefined, { DRIFTCORE_FAULT_KILL: point })
    })
  }

  it('killed from outside while a worker’s child process runs', async () => {
    await campaign(async (run) => {
      await waitForEvent(run, (e) => e.type === 'step.process' && e.step === 'nap')
      run.kill('SIGKILL')
    })
  })
})
