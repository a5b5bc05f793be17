import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { json, runCli, tempProject, type TempProject } from '../helpers/project.js'
import { linkHello } from '../helpers/workflow-cli.js'

let project: TempProject

beforeEach(async () => {
  project = await tempProject()
  await linkHello(project)
  await writeFile(
    path.join(project.dir, 'greet.yaml'),
    'apiVersion: driftcore/v1\nkind: Workflow\nname: greet\nsteps:\n  - id: hi\n    type: worker\n    tool: hello.greet\n    with: { name: hi }\n',
  )
})
afterEach(() => project.cleanup())

// What a kill between run.finished and the run list's update leaves: the journal says
// succeeded, state/runs.json still says running.
async function staleIndex(): Promise<string> {
  const run = await runCli(project, ['workflow', 'run', 'greet.yaml', '--json'])
  expect(run.exitCode).toBe(0)
  const runId = (JSON.parse(run.stdout.trim().split('\n')[0]!) as { run_id: string }).run_id
  const file = path.join(project.home, 'state', 'runs.json')
  const doc = JSON.parse(await readFile(file, 'utf8')) as { runs: Record<string, { status: string }> }
  doc.runs[runId]!.status = 'running'
  await writeFile(file, JSON.stringify(doc))
  return runId
}

describe('a run list left stale by a kill after run.finished', () => {
  it('repairs itself from the journal: list agrees with status, and prune prunes the run', async () => {
    const runId = await staleIndex()
    const list = json<{ run_id: string; status: string; interrupted?: boolean }[]>(
      await runCli(project, ['workflow', 'list', '--json']),
    )
    expect(list).toEqual([expect.objectContaining({ run_id: runId, status: 'succeeded' })])
    expect(list[0]!.interrupted).toBeUndefined()
    const pruned = json<{ pruned: { run_id: string }[] }>(
      await runCli(project, ['workflow', 'prune', '--older-than', '2999-01-01', '--json']),
    )
    expect(pruned.pruned.map((r) => r.run_id)).toEqual([runId])
  })

  it('a resume that refuses the finished run repairs the list too', async () => {
    const runId = await staleIndex()
    expect((await runCli(project, ['workflow', 'resume', runId])).exitCode).toBe(2)
    const doc = JSON.parse(await readFile(path.join(project.home, 'state', 'runs.json'), 'utf8')) as {
      runs: Record<string, { status: string }>
    }
    expect(doc.runs[runId]!.status).toBe('succeeded')
  })
})
