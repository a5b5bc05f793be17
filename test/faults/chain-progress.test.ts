import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { json, runCli, tempProject, type TempProject } from '../helpers/project.js'
import { linkHello, startRun, waitForEvent } from '../helpers/workflow-cli.js'

let project: TempProject
const STEPS = 40

beforeEach(async () => {
  project = await tempProject({ config: 'audit:\n  fsync: batch\n  batch_interval_ms: 1000\n' })
  await linkHello(project)
  const steps = Array.from(
    { length: STEPS },
    (_, i) =>
      `  - { id: s${i}, type: worker, tool: hello.greet, with: { name: s${i} }${i > 0 ? `, depends_on: [s${i - 1}]` : ''} }`,
  )
  await writeFile(
    path.join(project.dir, 'chain.yaml'),
    ['apiVersion: driftcore/v1', 'kind: Workflow', 'name: chain', 'steps:', ...steps].join('\n') + '\n',
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

describe('a chain killed with -9 midway', () => {
  it('has its progress on disk up to the step it reported, and resume runs only the steps that were not done', async () => {
    const run = startRun(project, ['workflow', 'run', 'chain.yaml', '--json'])
    const runId = (await waitForEvent(run, (e) => e.type === 'run.created')).run_id as string
    await waitForEvent(run, (e) => e.type === 'step.succeeded' && e.step === 's10')
    run.kill('SIGKILL')
    await run

    const before = await journal(runId)
    const done = new Set(before.filter((e) => e.type === 'step.succeeded').map((e) => e.step as string))
    for (let i = 0; i <= 10; i++) expect(done.has(`s${i}`)).toBe(true)
    expect(done.size).toBeLessThan(STEPS)

    const resumed = await runCli(project, ['workflow', 'resume', runId, '--json'])
    expect(resumed.exitCode).toBe(0)
    const after = await journal(runId)
    for (const step of done)
      expect(after.filter((e) => e.type === 'step.started' && e.step === step)).toHaveLength(1)
    expect(new Set(after.filter((e) => e.type === 'step.succeeded').map((e) => e.step)).size).toBe(STEPS)
    expect(after.at(-1)).toMatchObject({ type: 'run.finished', status: 'succeeded' })
    const calls = json<{ data: { outcome: string; meta?: { step?: string } } }[]>(
      await runCli(project, ['audit', 'query', '--type', 'tool.call', '--json']),
    )
    for (const step of done)
      expect(calls.filter((c) => c.data.meta?.step === step && c.data.outcome === 'ok')).toHaveLength(1)
    expect((await runCli(project, ['audit', 'verify'])).exitCode).toBe(0)
  })
})
