import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { approvalRequests, approvalsJournal, editApprovals } from '../helpers/approvals-state.js'
import { json, runCli, tempProject, type TempProject } from '../helpers/project.js'
import { linkHello } from '../helpers/workflow-cli.js'

// Issue 17: "merges need two different people". A rule says `approval.count: 2`; the call runs
// only once two different people approved it, each a signed statement bound to this request.
// A hostile agent (or one person wanting to be two) tries: one person approving twice, under
// another actor name with the same key, or from the same OS user unsigned; the requester
// approving their own; another request's signed approval replayed onto this one; a fake second
// approver written into the approvals state. Keys are real ssh-keygen keys; signatures go
// through the real `ssh-keygen -Y`; every call is the real CLI.

const CONFIG = 'launcher:\n  allowlist: [echo]\n'
const POLICY = `apiVersion: driftcore/v1
kind: PolicyBundle
name: two-people
rules:
  - id: allow-read-only
    decision: ALLOW
    match: { risk_tags: { only: [read] } }
  - id: people-change-approvers
    decision: ALLOW
    match: { tools: [approvers.add, approvers.remove], actors: { types: [human] } }
  - id: shout-needs-two
    decision: REQUIRE_APPROVAL
    approval: { count: 2 }
    match: { tools: [hello.shout] }
    reason: shouting needs two different people
`
const agent = { DRIFTCORE_ACTOR: 'agent:copilot' }
// A person at their own terminal: their key says who they are.
const person = { DRIFTCORE_ACTOR: '' }

let project: TempProject
const key = (name: string) => path.join(project.dir, 'keys', name)
let inputs = 0
const input = () => JSON.stringify({ words: ['merge', `pr-${++inputs}`] })

async function ask(words: string, env: NodeJS.ProcessEnv = agent, p = project): Promise<string> {
  const asked = await runCli(p, ['tools', 'call', 'hello.shout', '--input', words, '--json'], { env })
  expect(asked.exitCode, asked.stderr).toBe(5)
  return json(asked).error.details.approval_id as string
}

function call(id: string, words: string, p = project) {
  return runCli(p, ['tools', 'call', 'hello.shout', '--input', words, '--approval', id, '--json'], {
    env: agent,
  })
}

function approve(id: string, who: string, env: NodeJS.ProcessEnv = person, p = project) {
  return runCli(p, ['approvals', 'approve', id, '--json', ...(who ? ['--key', key(who)] : [])], { env })
}

async function audit(type: string, p = project): Promise<{ subject: string; actor: any; data: any }[]> {
  return json(await runCli(p, ['audit', 'query', '--type', type, '--json']))
}

describe('a rule that needs two different people, with signed approvals', () => {
  beforeAll(async () => {
    project = await tempProject({ config: CONFIG, policy: { 'two.yaml': POLICY } })
    await linkHello(project)
    await mkdir(path.join(project.dir, 'keys'))
    for (const name of ['alice', 'bob', 'mallory'])
      await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', key(name)])
    const first = await runCli(project, ['approvers', 'add', 'alice', '--key', key('alice.pub')], {
      env: person,
    })
    expect(first.exitCode, first.stderr).toBe(0)
    const second = await runCli(
      project,
      ['approvers', 'add', 'bob', '--key', key('bob.pub'), '--sign-key', key('alice')],
      { env: person },
    )
    expect(second.exitCode, second.stderr).toBe(0)
  })
  afterAll(() => project.cleanup())

  it('stays pending at 1 of 2, shown so, and runs once after the second person', async () => {
    const words = input()
    const id = await ask(words)
    const one = await approve(id, 'alice')
    expect(one.exitCode, one.stderr).toBe(0)
    expect(json(one).approval).toMatchObject({ status: 'pending', approvals_required: 2 })
    const human = await runCli(project, ['approvals', 'approve', id, '--key', key('alice')], { env: person })
    expect(human.exitCode).toBe(6)
    const shown = await runCli(project, ['approvals', 'show', id])
    expect(shown.stdout).toContain('approvals: 1 of 2 (human:alice)')
    const listed = await runCli(project, ['approvals', 'list'])
    expect(listed.stdout).toContain('pending 1/2')

    const early = await call(id, words)
    expect(early.exitCode).toBe(5)
    expect(json(early).error.message).toContain('1 of 2 approvals given')

    const two = await approve(id, 'bob')
    expect(two.exitCode, two.stderr).toBe(0)
    expect(json(two).approval.status).toBe('approved')
    const ran = await call(id, words)
    expect(ran.exitCode, ran.stderr).toBe(0)
    expect(json(ran).approval.approvers).toEqual([
      { type: 'human', id: 'alice' },
      { type: 'human', id: 'bob' },
    ])
    expect((await call(id, words)).exitCode).toBe(11)

    const counted = await audit('approval.counted')
    expect(counted.find((r) => r.subject === id)).toMatchObject({
      actor: { type: 'human', id: 'alice' },
      data: { count: '1 of 2', signature: { principal: 'alice' } },
    })
    const granted = (await audit('approval.approved')).find((r) => r.subject === id)
    expect(granted).toMatchObject({ actor: { id: 'bob' }, data: { count: '2 of 2' } })
    const verify = await runCli(project, ['audit', 'verify', '--json'])
    expect(verify.exitCode, verify.stdout).toBe(0)
  })

  it('one person approving twice counts once: again with their key, or under another actor name', async () => {
    const words = input()
    const id = await ask(words)
    expect((await approve(id, 'alice')).exitCode).toBe(0)
    const again = await approve(id, 'alice')
    expect(again.exitCode).toBe(6)
    expect(json(again).error.message).toMatch(/alice already did .*it needs 1 more person/)
    // The same key, claiming to be bob: the key says alice, and DRIFTCORE_ACTOR cannot say otherwise.
    const asBob = await approve(id, 'alice', { DRIFTCORE_ACTOR: 'human:bob' })
    expect(asBob.exitCode).toBe(11)
    expect((await approvalRequests(project.home))[id]).toMatchObject({ status: 'pending' })
    expect((await approvalRequests(project.home))[id]!.approved_by).toHaveLength(1)
    expect((await call(id, words)).exitCode).toBe(5)
  })

  it('the requester never counts, even as one of the two', async () => {
    const words = input()
    const id = await ask(words, { DRIFTCORE_ACTOR: 'human:alice' })
    const own = await approve(id, 'alice')
    expect(own.exitCode).toBe(11)
    expect(json(own).error.message).toContain('requested')
    expect((await approve(id, 'bob')).exitCode).toBe(0)
    expect((await approvalRequests(project.home))[id]!.status).toBe('pending')
  })

  it('a signed approval replayed from another request does not count, and is caught as forged', async () => {
    const first = input()
    const a = await ask(first)
    expect((await approve(a, 'alice')).exitCode).toBe(0)
    const second = input()
    const b = await ask(second)
    await editApprovals(project.home, (all) => {
      all[b]!.approved_by = [...all[a]!.approved_by!]
    })
    const granted = await approve(b, 'bob')
    expect(granted.exitCode, granted.stdout).toBe(8)
    expect(json(granted).error.message).toContain(approvalsJournal(project.home))
    expect((await approvalRequests(project.home))[b]!.status).toBe('pending')
    expect((await audit('approval.forged')).map((r) => r.subject)).toContain(b)
    const tried = await call(b, second)
    expect(tried.exitCode).not.toBe(0)
    expect((await audit('tool.call')).some((r) => r.data.approval_id === b && r.data.outcome === 'ok')).toBe(
      false,
    )
  })

  it('a fake second approver written into the approvals state is refused where it is used (exit 8)', async () => {
    const words = input()
    const id = await ask(words)
    expect((await approve(id, 'alice')).exitCode).toBe(0)
    await editApprovals(project.home, (all) => {
      const r = all[id]!
      const bob = { type: 'human', id: 'bob' }
      r.approved_by!.push({ by: bob, at: new Date().toISOString() })
      Object.assign(r, { status: 'approved', decided_by: bob, decided_at: new Date().toISOString() })
    })
    const forged = await call(id, words)
    expect(forged.exitCode).toBe(8)
    expect(json(forged).error.message).toContain(approvalsJournal(project.home))
    const verify = await runCli(project, ['audit', 'verify', '--json'])
    expect(verify.exitCode).toBe(8)
  })

  it('a fake first approver, completed by a real second one, is refused when the second approves', async () => {
    const words = input()
    const id = await ask(words)
    await editApprovals(project.home, (all) => {
      all[id]!.approved_by = [{ by: { type: 'human', id: 'carol' }, at: new Date().toISOString() }]
    })
    const real = await approve(id, 'bob')
    expect(real.exitCode).toBe(8)
    expect(json(real).error.message).toContain("carol's approval was not given here")
    expect((await call(id, words)).exitCode).not.toBe(0)
  })

  it('a denial by either person denies the request', async () => {
    const words = input()
    const id = await ask(words)
    expect((await approve(id, 'alice')).exitCode).toBe(0)
    const denied = await runCli(project, ['approvals', 'deny', id, '--key', key('bob'), '--json'], {
      env: person,
    })
    expect(denied.exitCode, denied.stderr).toBe(0)
    expect(json(denied).approval.status).toBe('denied')
    expect((await approve(id, 'bob')).exitCode).toBe(6)
    expect((await call(id, words)).exitCode).toBe(11)
  })
})

describe('a rule that needs two different people, unsigned (no approvers listed)', () => {
  it('two actor names from the same OS user count once: nothing unsigned tells them apart', async () => {
    const solo = await tempProject({ config: CONFIG, policy: { 'two.yaml': POLICY } })
    try {
      await linkHello(solo)
      const words = JSON.stringify({ words: ['merge', 'unsigned'] })
      const id = await ask(words, agent, solo)
      const alice = await runCli(solo, ['approvals', 'approve', id], {
        env: { DRIFTCORE_ACTOR: 'human:alice' },
      })
      expect(alice.exitCode, alice.stderr).toBe(0)
      expect(alice.stdout).toContain('1 of 2 approvals, still pending')
      const bob = await runCli(solo, ['approvals', 'approve', id, '--json'], {
        env: { DRIFTCORE_ACTOR: 'human:bob' },
      })
      expect(bob.exitCode).toBe(6)
      expect(json(bob).error.message).toContain('same OS user')
      expect(json(bob).error.hint).toContain('driftcore approvers add')
      expect((await call(id, words, solo)).exitCode).toBe(5)
    } finally {
      await solo.cleanup()
    }
  })
})
