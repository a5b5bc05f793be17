import { render } from 'ink-testing-library'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Actor } from '../../../src/audit/record.js'
import { queryAudit } from '../../../src/audit/query.js'
import { ReviewApp } from '../../../src/approvals/review/review-app.js'
import type { Kernel } from '../../../src/kernel/open.js'
import {
  fixturePluginContribution,
  tempProject,
  testKernel,
  type TempProject,
} from '../../helpers/project.js'

const agent: Actor = { type: 'agent', id: 'copilot' }
const alice: Actor = { type: 'human', id: 'alice' }
const bob: Actor = { type: 'human', id: 'bob' }
const DOWN = '\u001B[B'
const ESC = '\u001B'
const ENTER = '\r'

let project: TempProject
let kernel: Kernel
let screens: ReturnType<typeof render>[]

beforeEach(async () => {
  project = await tempProject({ config: 'launcher:\n  allowlist: [echo]\n' })
  kernel = await testKernel(project, [await fixturePluginContribution()])
  screens = []
})
afterEach(async () => {
  for (const screen of screens) screen.unmount()
  await kernel.close()
  await project.cleanup()
})

/** A real tool call that policy sends to a person: `hello.shout` runs a program. */
async function ask(words: string[], requester: Actor = agent): Promise<string> {
  const error = await kernel.gate.invoke('hello.shout', { words }, requester).catch((e: unknown) => e)
  expect(error).toMatchObject({ code: 'approval_required' })
  return (error as { details: { approval_id: string } }).details.approval_id
}

// The list is read once at start; a test that wants polling says how often.
function review(reviewer: Actor, pollMs = 3_600_000) {
  const screen = render(
    <ReviewApp
      approvals={kernel.approvals}
      reviewer={reviewer}
      redact={(text) => kernel.redactor.redactText(text)}
      pollMs={pollMs}
    />,
  )
  screens.push(screen)
  return screen
}

/** Waits until the screen shows what `ready` looks for; fails with the last screen if it never does. */
async function screenWhere(
  screen: ReturnType<typeof render>,
  ready: (frame: string) => boolean,
  // Generous: under a loaded machine a redraw can lag seconds behind; this is a wait, not a speed check.
  timeoutMs = 20_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const frame = screen.lastFrame() ?? ''
    if (ready(frame)) return frame
    if (Date.now() > deadline) throw new Error(`the screen never got there; it shows:\n${frame}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** The screen is 100 columns wide: a long line wraps, so text is looked for with the breaks undone. */
const oneLine = (frame: string) => frame.replace(/\s*\n\s*/g, ' ')
const selectedLine = (frame: string) => frame.split('\n').find((line) => line.startsWith('›')) ?? ''
const showsPrompt = (frame: string) => frame.includes('Enter confirms, Esc cancels')

async function decideOnScreen(screen: ReturnType<typeof render>, key: 'a' | 'd', comment: string) {
  screen.stdin.write(key)
  await screenWhere(screen, showsPrompt)
  if (comment) {
    screen.stdin.write(comment)
    await screenWhere(screen, (f) => f.includes(comment))
  }
  screen.stdin.write(ENTER)
}

describe('approvals review', () => {
  it('lists the pending requests with tool, requester and expiry, and details the first', async () => {
    const first = await ask(['deploy', 'now'])
    const second = await ask(['rm', 'cache'])
    const frame = await screenWhere(review(bob), (f) => f.includes(second))
    expect(frame).toContain('2 pending')
    expect(frame).toMatch(new RegExp(`${first}\\s+hello\\.shout\\s+agent:copilot\\s+\\d+s\\s+23h`))
    expect(selectedLine(frame)).toContain(first)
    expect(frame).toContain('approve-write-exec')
    // The whole input, line by line (not a cut JSON summary).
    expect(frame).toMatch(/input\s+words:[\s│]+- deploy[\s│]+- now/)
    expect(frame).toContain('a approve')
  })

  it('moves the selection with the arrow keys and j/k, and details the selected request', async () => {
    const first = await ask(['one'])
    const second = await ask(['two'])
    const screen = review(bob)
    await screenWhere(screen, (f) => f.includes(second))
    screen.stdin.write(DOWN)
    const frame = await screenWhere(screen, (f) => selectedLine(f).includes(second))
    expect(frame).toMatch(/words:[\s│]+- two/)
    expect(frame).not.toContain('- one')
    screen.stdin.write('k')
    await screenWhere(screen, (f) => selectedLine(f).includes(first))
    screen.stdin.write('j')
    await screenWhere(screen, (f) => selectedLine(f).includes(second))
    // Down at the last one stays there: one step up is the first again.
    screen.stdin.write(DOWN)
    screen.stdin.write('k')
    await screenWhere(screen, (f) => selectedLine(f).includes(first))
  })

  it('a approves with the typed comment as the reviewer, audited as approval.approved', async () => {
    const id = await ask(['deploy'])
    const screen = review(bob)
    await screenWhere(screen, (f) => f.includes(id))
    await decideOnScreen(screen, 'a', 'checked with the site owner')
    // The result line, and the list read again without the decided request.
    const frame = oneLine(
      await screenWhere(screen, (f) => f.includes(`approved ${id}`) && f.includes('0 pending')),
    )
    expect(frame).toContain(`the requester repeats the call with --approval ${id}`)

    const stored = await kernel.approvals.get(id)
    expect(stored).toMatchObject({
      status: 'approved',
      decided_by: bob,
      comment: 'checked with the site owner',
    })
    await kernel.close()
    const records = await queryAudit(kernel.paths.audit, { type: 'approval.approved' })
    expect(records).toHaveLength(1)
    expect(records[0]).toMatchObject({
      actor: bob,
      subject: id,
      data: { comment: 'checked with the site owner' },
    })
  })

  it('d denies the selected request; Esc at the comment cancels without deciding', async () => {
    const first = await ask(['one'])
    const second = await ask(['two'])
    const screen = review(bob)
    await screenWhere(screen, (f) => f.includes(second))
    screen.stdin.write('d')
    await screenWhere(screen, showsPrompt)
    screen.stdin.write(ESC)
    await screenWhere(screen, (f) => !showsPrompt(f) && f.includes('d deny'))
    expect((await kernel.approvals.get(first)).status).toBe('pending')

    screen.stdin.write('j')
    await screenWhere(screen, (f) => selectedLine(f).includes(second))
    await decideOnScreen(screen, 'd', 'not during the freeze')
    await screenWhere(screen, (f) => f.includes(`denied ${second}`))
    expect(await kernel.approvals.get(second)).toMatchObject({
      status: 'denied',
      decided_by: bob,
      comment: 'not during the freeze',
    })
    expect((await kernel.approvals.get(first)).status).toBe('pending')
  })

  it('refuses in red, on screen, to let a person approve their own request; it stays pending', async () => {
    const id = await ask(['mine'], alice)
    const screen = review(alice)
    await screenWhere(screen, (f) => f.includes(id))
    await decideOnScreen(screen, 'a', '')
    const frame = await screenWhere(screen, (f) => f.includes('cannot decide it too'))
    expect(frame).toContain('ask another person to approve it')
    expect(frame).toContain('1 pending')
    expect((await kernel.approvals.get(id)).status).toBe('pending')
    // The session goes on: the next key still works.
    screen.stdin.write('a')
    await screenWhere(screen, showsPrompt)
  })

  it('shows a conflict when the request was decided elsewhere after the list was read', async () => {
    const id = await ask(['race'])
    const screen = review(bob)
    await screenWhere(screen, (f) => f.includes(id))
    await kernel.approvals.decide(id, alice, 'denied')
    await decideOnScreen(screen, 'a', '')
    await screenWhere(
      screen,
      (f) => oneLine(f).includes(`approval ${id} is denied, not pending`) && f.includes('0 pending'),
    )
  })

  it('tells the approver of a workflow step how to continue the run', async () => {
    const request = await kernel.approvals.requestDecision({
      subject: 'workflow:deploy/confirm',
      inputHash: 'a'.repeat(64),
      inputSummary: 'deploy to prod',
      requester: { type: 'workflow', id: 'deploy' },
      reason: 'a person confirms the deploy',
      traceId: 'trace-1',
      workflow: { run_id: 'run_42', step: 'confirm' },
    })
    const screen = review(bob)
    const shown = await screenWhere(screen, (f) => f.includes(request.id))
    expect(shown).toContain('run run_42, step confirm')
    await decideOnScreen(screen, 'a', '')
    await screenWhere(screen, (f) =>
      oneLine(f).includes('continue the run with: driftcore workflow resume run_42'),
    )
    expect((await kernel.approvals.get(request.id)).status).toBe('approved')
  })

  it('masks secrets in what it shows', async () => {
    const request = await kernel.approvals.requestDecision({
      subject: 'site.login',
      inputHash: 'b'.repeat(64),
      inputSummary: 'password=hunter2hunter2 via https://admin:s3cretpass@example.test/',
      requester: agent,
      reason: 'logins need a person',
      traceId: 'trace-2',
    })
    const frame = await screenWhere(review(bob), (f) => f.includes(request.id))
    expect(frame).toContain('[REDACTED]')
    expect(frame).not.toContain('hunter2hunter2')
    expect(frame).not.toContain('s3cretpass')
  })

  it('shows a request made after it started once r is pressed', async () => {
    const first = await ask(['one'])
    const screen = review(bob)
    await screenWhere(screen, (f) => f.includes(first))
    const later = await ask(['two'])
    screen.stdin.write('r')
    const frame = await screenWhere(screen, (f) => f.includes(later))
    expect(frame).toContain('2 pending')
  })

  it('refreshes by itself: new requests appear and ones decided elsewhere disappear', async () => {
    const first = await ask(['one'])
    const screen = review(bob, 50)
    await screenWhere(screen, (f) => f.includes(first))
    const later = await ask(['two'])
    await screenWhere(screen, (f) => f.includes(later))
    await kernel.approvals.decide(first, alice, 'approved')
    // A frame in the middle of a redraw can be empty: wait for the list that shows the change.
    const frame = await screenWhere(screen, (f) => f.includes(later) && !f.includes(first))
    expect(selectedLine(frame)).toContain(later)
    expect(frame).toContain('1 pending')
  })

  it('says so when nothing is pending', async () => {
    const frame = await screenWhere(review(bob), (f) => f.includes('0 pending'))
    expect(frame).toContain('Nothing waiting for a decision')
  })
})
