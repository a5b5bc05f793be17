import { existsSync } from 'node:fs'
import path from 'node:path'
import { stripVTControlCharacters } from 'node:util'
import { execa } from 'execa'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { queryAudit } from '../../src/audit/query.js'
import { CLI, json, runCli, tempProject, testKernel, type TempProject } from '../helpers/project.js'

let project: TempProject
let pendingId: string

// A pending request, made in-process against the project's own state folder.
beforeEach(async () => {
  project = await tempProject()
  const kernel = await testKernel(project)
  const request = await kernel.approvals.requestDecision({
    subject: 'workflow:deploy/confirm',
    inputHash: 'c'.repeat(64),
    inputSummary: 'deploy to prod',
    requester: { type: 'agent', id: 'copilot' },
    reason: 'a person confirms the deploy',
    traceId: 'trace-review',
    workflow: { run_id: 'run_7', step: 'confirm' },
  })
  pendingId = request.id
  await kernel.close()
})
afterEach(() => project.cleanup())

/** The review screen in a real pseudo-terminal (`script`), as bob, and a wait for text on it. */
function openReview() {
  const child = execa('script', ['-qefc', `node ${CLI} approvals review`, '/dev/null'], {
    cwd: project.dir,
    env: { ...project.env, DRIFTCORE_ACTOR: 'human:bob', TERM: 'xterm' },
    extendEnv: false,
    reject: false,
    timeout: 60_000,
    stdin: 'pipe',
  })
  let screen = ''
  child.stdout.on('data', (chunk: Buffer) => {
    // Cursor movement and colours removed, so the text reads as on screen.
    screen += stripVTControlCharacters(chunk.toString('utf8'))
  })
  const shows = async (text: string) => {
    const deadline = Date.now() + 20_000
    while (!screen.includes(text)) {
      if (Date.now() > deadline) throw new Error(`never showed ${text}; the screen was:\n${screen}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
  return { child, shows }
}

describe('driftcore approvals review on the command line', () => {
  it('with --json prints the pending requests as `approvals list --json` does', async () => {
    const reviewed = await runCli(project, ['approvals', 'review', '--json'])
    expect(reviewed.exitCode).toBe(0)
    const listed = await runCli(project, ['approvals', 'list', '--json'])
    expect(json(reviewed)).toEqual(json(listed))
    expect(json(reviewed)).toMatchObject([
      { id: pendingId, status: 'pending', tool: 'workflow:deploy/confirm' },
    ])
  })

  it('without a terminal and without --json it refuses and points to approvals list / approve', async () => {
    const result = await runCli(project, ['approvals', 'review'])
    expect(result.exitCode).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain('needs an interactive terminal')
    expect(result.stderr).toContain('driftcore approvals list')
    expect(result.stderr).toContain('driftcore approvals approve ID')
  })

  // `script` gives the CLI a real pseudo-terminal, so this is the UI a person gets.
  it.skipIf(!existsSync('/usr/bin/script'))(
    'in a terminal a person approves with a comment and quits with q; the decision is audited',
    async () => {
      const { child, shows } = openReview()
      await shows(pendingId)
      child.stdin.write('a')
      await shows('Enter confirms')
      child.stdin.write('looks right')
      await shows('looks right')
      child.stdin.write('\r')
      await shows('driftcore workflow resume run_7')
      child.stdin.write('q')
      const result = await child
      expect(result.exitCode).toBe(0)

      const kernel = await testKernel(project)
      try {
        expect(await kernel.approvals.get(pendingId)).toMatchObject({
          status: 'approved',
          decided_by: { type: 'human', id: 'bob' },
          comment: 'looks right',
        })
      } finally {
        await kernel.close()
      }
      const records = await queryAudit(kernel.paths.audit, { type: 'approval.approved' })
      expect(records).toMatchObject([{ actor: { id: 'bob' }, subject: pendingId }])
    },
  )

  it.skipIf(!existsSync('/usr/bin/script'))(
    'in a terminal Ctrl-C leaves the screen cleanly, after the decision made just before is recorded',
    async () => {
      const { child, shows } = openReview()
      await shows(pendingId)
      child.stdin.write('d')
      await shows('Enter confirms')
      child.stdin.write('\r')
      await shows(`denied ${pendingId}`)
      child.stdin.write('\x03')
      const result = await child
      expect(result.exitCode).toBe(0)
      const records = await queryAudit(path.join(project.home, 'audit'), { type: 'approval.denied' })
      expect(records).toMatchObject([{ actor: { id: 'bob' }, subject: pendingId }])
    },
  )
})
