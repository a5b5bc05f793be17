import { readdirSync, readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { json, runCli, tempProject, type TempProject } from '../helpers/project.js'
import { linkHello, startRun } from '../helpers/workflow-cli.js'

// Issue 12, case 8: with containment off a step's process is not tied to the workflow process,
// and a kill between its spawn and the journal's fsync leaves no pid in the journal to reap.
let project: TempProject
beforeEach(async () => {
  project = await tempProject({
    config:
      'audit:\n  fsync: batch\n  batch_interval_ms: 1000\nlauncher:\n  allowlist: [sleep]\n  containment: off\n  kill_grace_ms: 200\nworkflow:\n  env_allowlist: [NAP]\n',
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
    retry: { max_attempts: 2 }
`,
  )
})
afterEach(() => project.cleanup())

// Live (not zombie) processes whose command line is exactly `sleep <seconds>`.
function sleeping(seconds: string): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean)
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
      if (state !== 'Z' && cmdline.at(-2)?.endsWith('sleep') && cmdline.at(-1) === seconds)
        found.push(Number(entry))
    } catch {
      // gone
    }
  }
  return found
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 20))
}

describe('a worker left running by a workflow process killed before its pid was journaled', () => {
  it('is found by its run id and ended when the run is resumed, and the reaping is audited', async () => {
    const run = startRun(project, ['workflow', 'run', 'nap.yaml', '--json'], {
      NAP: '41.3',
      DRIFTCORE_FAULT_KILL: 'process.spawned:1',
    })
    const killed = await run
    expect(killed.signal).toBe('SIGKILL')
    const created = JSON.parse(killed.stdout.split('\n')[0]!) as { type: string; run_id: string }
    expect(created.type).toBe('run.created')
    await until(() => sleeping('41.3').length > 0)
    const orphans = sleeping('41.3')
    expect(orphans).toHaveLength(1) // the owner is dead; its worker is not

    const resumed = await runCli(project, ['workflow', 'resume', created.run_id, '--json'], {
      env: { NAP: '0.1' },
    })
    expect(resumed.exitCode, resumed.stderr).toBe(0)
    await until(() => sleeping('41.3').length === 0)
    expect(sleeping('41.3')).toEqual([])
    const reaped = json<{ subject: string; data: { pids: number[] } }[]>(
      await runCli(project, ['audit', 'query', '--type', 'process.reaped', '--json']),
    )
    expect(reaped).toEqual([
      expect.objectContaining({ subject: created.run_id, data: expect.objectContaining({ pids: orphans }) }),
    ])
  })
})
