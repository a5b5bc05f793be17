import { randomBytes } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, tempProject, testKernel, type TempProject } from '../helpers/project.js'

/**
 * The review screen in a real terminal of the size the new user had (100x16) with 28 pending
 * requests: it fits the window, the list scrolls under a header that stays, and no frame is
 * left behind in the scrollback. tmux gives the terminal and reads it back (capture-pane).
 */
const tmux = spawnSync('sh', ['-c', 'command -v tmux']).status === 0
const socket = `driftcore-review-${randomBytes(3).toString('hex')}`
const session = 'review'
let project: TempProject

function run(...args: string[]): string {
  const result = spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${result.stderr}`)
  return result.stdout
}
const screen = () => run('capture-pane', '-p', '-t', session)
const scrollback = () => run('capture-pane', '-p', '-S', '-', '-E', '-', '-t', session)

async function until(check: (text: string) => boolean, what: string): Promise<string> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const text = screen()
    if (check(text)) return text
    if (Date.now() > deadline) throw new Error(`the screen never showed ${what}:\n${text}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

beforeAll(async () => {
  project = await tempProject()
  const kernel = await testKernel(project)
  for (let i = 0; i < 28; i++)
    await kernel.approvals.requestDecision({
      subject: `workflow:deploy/confirm-${String(i).padStart(2, '0')}`,
      inputHash: String(i % 10).repeat(64),
      inputSummary: 'deploy to prod',
      requester: { type: 'agent', id: 'copilot' },
      reason: 'a person confirms the deploy',
      traceId: `trace-${i}`,
      workflow: { run_id: `run_${i}`, step: 'confirm' },
    })
  await kernel.close()
}, 60_000)
afterAll(async () => {
  spawnSync('tmux', ['-L', socket, 'kill-server'])
  await project.cleanup()
})

describe.skipIf(!tmux)('the review screen in a 100x16 terminal', () => {
  it('fits the window, scrolls the list under a fixed header, and leaves no frames in the scrollback', async () => {
    const env = Object.entries({ ...project.env, DRIFTCORE_ACTOR: 'human:bob', TERM: 'xterm-256color' })
      .map(([k, v]) => `${k}='${v}'`)
      .join(' ')
    run(
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '100',
      '-y',
      '16',
      `cd '${project.dir}' && env -i ${env} node ${CLI} approvals review; sleep 600`,
    )
    const first = await until((t) => t.includes('28 pending') && t.includes('confirm-00'), 'the list')
    expect(first.split('\n')[0]).toContain('Pending approvals for human:bob — 28 pending')
    expect(first).toContain('(1–')

    for (let i = 0; i < 20; i++) {
      run('send-keys', '-t', session, 'j')
      await until(
        (t) => t.includes(`› `) && lineOf(t, '›').includes(`confirm-${String(i + 1).padStart(2, '0')}`),
        `selection ${i + 1}`,
      )
    }
    const moved = screen()
    // The header stays on the first line; the selected request is on screen with its detail.
    expect(moved.split('\n')[0]).toContain('Pending approvals for human:bob — 28 pending')
    expect(lineOf(moved, '›')).toContain('confirm-20')
    expect(moved).toContain('workflow:deploy/confirm-20')
    expect(moved).toMatch(/\(\d+–\d+ of 28\)/)
    expect(moved.trimEnd().split('\n').length).toBeLessThanOrEqual(16)
    expect(moved.split('\n').every((l) => [...l].length <= 100)).toBe(true)

    // The details scroll too, and say which lines show.
    run('send-keys', '-t', session, 'PageDown')
    await until((t) => /lines [2-9]\d*–\d+ of \d+/.test(t), 'the detail scrolled')

    // The review draws on its own screen: the terminal's history holds no copies of its frames.
    const history = scrollback()
    expect(history.split('Pending approvals for').length - 1).toBeLessThanOrEqual(1)

    run('send-keys', '-t', session, 'q')
    await until((t) => !t.includes('Pending approvals for'), 'the review gone after q')
    expect(scrollback()).not.toContain('Pending approvals for')
  })
})

function lineOf(text: string, marker: string): string {
  return text.split('\n').find((l) => l.includes(marker)) ?? ''
}
