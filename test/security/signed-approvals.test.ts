import { appendFile, chmod, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { execa } from 'execa'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ApprovalRequest } from '../../src/approvals/approvals.js'
import { approvalDigest } from '../../src/approvals/evidence.js'
import { APPROVAL_NAMESPACE, approvalStatement } from '../../src/approvals/statement.js'
import { sealRecord } from '../../src/audit/record.js'
import { segmentPath, type AuditHead } from '../../src/audit/segments.js'
import { formatAllowedSigners, parseAllowedSigners } from '../../src/identity/allowed-signers.js'
import { sshSign } from '../../src/identity/ssh-keygen.js'
import { sha256 } from '../../src/store/hash.js'
import { json, runCli, tempProject, type TempProject } from '../helpers/project.js'
import { linkHello } from '../helpers/workflow-cli.js'
import { approvalRequests, approvalsJournal, editApprovals } from '../helpers/approvals-state.js'

// Issue 11: who approved must be provable. A hostile agent with a shell, as the same OS user,
// tries to approve its own call: by naming a person in DRIFTCORE_ACTOR, by editing the state
// file, by signing with its own key, by adding its key to allowed_signers, by writing audit
// records itself. Each is refused where the approval is used and caught by `audit verify`.
// Keys are real ssh-keygen keys made here; signatures go through the real `ssh-keygen -Y`.

let project: TempProject
const agent = { DRIFTCORE_ACTOR: 'agent:copilot' }
// A person at their own terminal: their key says who they are.
const person = { DRIFTCORE_ACTOR: '' }
const CONFIG = 'launcher:\n  allowlist: [echo]\n'
const INPUT = JSON.stringify({ words: ['deploy', 'prod'] })

const key = (name: string) => path.join(project.dir, 'keys', name)

async function makeKey(name: string, passphrase = ''): Promise<void> {
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', name, '-f', key(name)])
}

beforeEach(async () => {
  project = await tempProject({ config: CONFIG })
  await linkHello(project)
  await execa('mkdir', ['-p', path.join(project.dir, 'keys')])
  await Promise.all(['lead', 'mallory', 'sam'].map((n) => makeKey(n)))
  const added = await runCli(project, ['approvers', 'add', 'lead', '--key', key('lead.pub')], {
    env: person,
  })
  expect(added.exitCode, added.stderr).toBe(0)
  expect(added.stdout).toContain('trusted on first use')
})
afterEach(() => project.cleanup())

const stateFile = () => approvalsJournal(project.home)
const signersFile = () => path.join(project.home, 'allowed_signers')

async function ask(env: NodeJS.ProcessEnv = agent): Promise<string> {
  const asked = await runCli(project, ['tools', 'call', 'hello.shout', '--input', INPUT, '--json'], { env })
  expect(asked.exitCode, asked.stderr).toBe(5)
  return json(asked).error.details.approval_id as string
}

async function call(id: string, env: NodeJS.ProcessEnv = agent) {
  return runCli(project, ['tools', 'call', 'hello.shout', '--input', INPUT, '--approval', id, '--json'], {
    env,
  })
}

async function approve(id: string, args: string[] = [], env: NodeJS.ProcessEnv = person) {
  return runCli(project, ['approvals', 'approve', id, '--json', ...args], { env })
}

async function audit(type: string): Promise<{ type: string; actor: any; subject: string; data: any }[]> {
  return json(await runCli(project, ['audit', 'query', '--type', type, '--json']))
}

async function ranShout(): Promise<boolean> {
  return (await audit('tool.call')).some((r) => r.subject === 'hello.shout' && r.data.outcome === 'ok')
}

async function verify() {
  const result = await runCli(project, ['audit', 'verify', '--json'])
  return { exitCode: result.exitCode, report: json(result), stderr: result.stderr }
}

async function requests(): Promise<Record<string, ApprovalRequest>> {
  return approvalRequests(project.home)
}

async function editState(edit: (requests: Record<string, ApprovalRequest>) => void): Promise<void> {
  await editApprovals(project.home, edit)
}

// What an agent that knows the format does: a record sealed and chained properly, HEAD moved.
async function appendChained(entry: { type: string; actor: any; subject: string; data: any }): Promise<void> {
  const auditDir = path.join(project.home, 'audit')
  const headFile = path.join(auditDir, 'HEAD.json')
  const head = JSON.parse(await readFile(headFile, 'utf8')) as AuditHead
  const sealed = sealRecord(entry, head.seq + 1, head.hash, new Date().toISOString(), 'forged-trace')
  await appendFile(segmentPath(auditDir, head.segment), sealed.line)
  const next = {
    ...head,
    seq: head.seq + 1,
    hash: sealed.hash,
    size: head.size + Buffer.byteLength(sealed.line),
  }
  await writeFile(headFile, JSON.stringify(next).padEnd(255) + '\n')
}

// The state file and a chained approval.approved record that agree: all an agent can write.
async function forgeGrant(id: string, decided: Partial<ApprovalRequest>): Promise<void> {
  let forged: ApprovalRequest | undefined
  await editState((all) => {
    forged = Object.assign(all[id]!, { status: 'approved', decided_at: new Date().toISOString(), ...decided })
  })
  await appendChained({
    type: 'approval.approved',
    actor: forged!.decided_by,
    subject: id,
    data: {
      tool: forged!.tool,
      input_hash: forged!.input_hash,
      requester: forged!.requester,
      ...(forged!.signature ? { signature: forged!.signature } : {}),
      digest: approvalDigest(forged!),
    },
  })
}

describe('an approval signed with a person key', () => {
  it('lets the call run once, is recorded with the principal and fingerprint, and audit verify checks it', async () => {
    const id = await ask()
    const approved = await approve(id, ['--key', key('lead'), '--comment', 'looked at it'])
    expect(approved.exitCode, approved.stderr).toBe(0)
    expect(json(approved).approval.decided_by).toEqual({ type: 'human', id: 'lead' })

    const used = await call(id)
    expect(used.exitCode, used.stderr).toBe(0)
    expect(await ranShout()).toBe(true)
    const [record] = await audit('approval.approved')
    expect(record!.actor).toEqual({ type: 'human', id: 'lead' })
    expect(record!.data.signature.principal).toBe('lead')
    expect(record!.data.signature.fingerprint).toMatch(/^SHA256:/)
    expect(record!.data.signature.signature).toContain('BEGIN SSH SIGNATURE')
    expect(record!.data.signature.statement).toContain(`id "${id}"`)

    const checked = await verify()
    expect(checked.exitCode, checked.stderr).toBe(0)
    expect(checked.report.signatures.approvals).toBe(1)
  })

  it('signs a denial too', async () => {
    const id = await ask()
    const denied = await runCli(project, ['approvals', 'deny', id, '--key', key('lead'), '--json'], {
      env: person,
    })
    expect(denied.exitCode, denied.stderr).toBe(0)
    const [record] = await audit('approval.denied')
    expect(record!.data.signature.principal).toBe('lead')
    expect((await verify()).exitCode).toBe(0)
  })
})

describe('DRIFTCORE_ACTOR=human:lead from the agent, without lead’s key', () => {
  const asLead = { DRIFTCORE_ACTOR: 'human:lead' }

  it('is refused unsigned, with a hint on setting up a key, and nothing is granted', async () => {
    const id = await ask()
    const tried = await approve(id, [], asLead)
    expect(tried.exitCode, tried.stdout).toBe(11)
    expect(json(tried).error.hint).toContain('ssh-keygen -t ed25519-sk')
    expect(json(tried).error.hint).toContain('driftcore approvers add')
    expect((await requests())[id]!.status).toBe('pending')
    expect(await audit('approval.approved')).toEqual([])
  })

  it('is refused signed with the agent’s own key (exit 8: not in allowed_signers)', async () => {
    const id = await ask()
    const tried = await approve(id, ['--key', key('mallory')], asLead)
    expect(tried.exitCode, tried.stdout).toBe(8)
    expect(json(tried).error.message).toContain('not in')
    expect(json(tried).error.message).toContain(signersFile())
    expect((await requests())[id]!.status).toBe('pending')
  })

  it('is refused when signed with another person’s key that is listed', async () => {
    // sam is a real approver; DRIFTCORE_ACTOR cannot make sam's signature count as lead's.
    const added = await runCli(
      project,
      ['approvers', 'add', 'sam', '--key', key('sam.pub'), '--sign-key', key('lead')],
      { env: person },
    )
    expect(added.exitCode, added.stderr).toBe(0)
    const id = await ask()
    const tried = await approve(id, ['--key', key('sam')], asLead)
    expect(tried.exitCode).toBe(11)
    expect(json(tried).error.message).toContain(
      "DRIFTCORE_ACTOR says human:lead, but the key that signed is sam's",
    )
  })

  it('written into the audit log and state file by hand, is refused at use and caught by audit verify', async () => {
    const id = await ask()
    await forgeGrant(id, { decided_by: { type: 'human', id: 'lead' } })
    // The chain itself is intact: the agent sealed it properly.
    const forged = await call(id)
    expect(forged.exitCode, forged.stdout).toBe(8)
    expect(json(forged).error.message).toContain('not signed')
    expect(await ranShout()).toBe(false)
    expect((await audit('approval.forged'))[0]!.subject).toBe(id)

    const checked = await verify()
    expect(checked.exitCode).toBe(8)
    expect(checked.report.signatures.problems.map((p: any) => p.message).join('\n')).toContain(
      `${id} was approved by lead without a signature while approvers were listed`,
    )
  })
})

describe('a forged state file', () => {
  it('saying approved by human:lead is refused with exit 8 naming the file, and audit verify lists it', async () => {
    const id = await ask()
    await editState((all) => {
      Object.assign(all[id]!, { status: 'approved', decided_by: { type: 'human', id: 'lead' } })
    })
    const forged = await call(id)
    expect(forged.exitCode).toBe(8)
    expect(json(forged).error.message).toContain(stateFile())
    expect(await ranShout()).toBe(false)
    const checked = await verify()
    expect(checked.exitCode).toBe(8)
    expect(checked.report.approvals.problems[0].id).toBe(id)
  })

  it('given the signature of another approval is refused: the statement is over another id', async () => {
    const first = await ask()
    expect((await approve(first, ['--key', key('lead')])).exitCode).toBe(0)
    const other = JSON.stringify({ words: ['drop', 'db'] })
    const asked = await runCli(project, ['tools', 'call', 'hello.shout', '--input', other, '--json'], {
      env: agent,
    })
    const second = json(asked).error.details.approval_id as string
    const signature = (await requests())[first]!.signature!
    await forgeGrant(second, { decided_by: { type: 'human', id: 'lead' }, signature })
    const used = await runCli(
      project,
      ['tools', 'call', 'hello.shout', '--input', other, '--approval', second, '--json'],
      { env: agent },
    )
    expect(used.exitCode).toBe(8)
    expect(json(used).error.message).toContain('another statement')
    const checked = await verify()
    expect(checked.exitCode).toBe(8)
    expect(checked.report.signatures.problems.some((p: any) => p.subject === second)).toBe(true)
  })
})

describe('an approval signed by a key not in allowed_signers', () => {
  it('crafted by the agent over the real statement, is refused at use and caught by audit verify', async () => {
    const id = await ask()
    const request = (await requests())[id]!
    const at = new Date().toISOString()
    const statement = approvalStatement(request, 'approved', undefined, at)
    const sig = await sshSign(statement, { key: key('mallory'), namespace: APPROVAL_NAMESPACE })
    await forgeGrant(id, {
      decided_by: { type: 'human', id: 'lead' },
      signature: {
        principal: 'lead',
        fingerprint: 'SHA256:forged',
        namespace: APPROVAL_NAMESPACE,
        at,
        signature: sig,
        statement,
      },
    })
    const used = await call(id)
    expect(used.exitCode).toBe(8)
    expect(json(used).error.message).toContain('does not verify')
    expect(await ranShout()).toBe(false)
    const checked = await verify()
    expect(checked.exitCode).toBe(8)
    expect(checked.report.signatures.problems[0].message).toContain('not in')
  })
})

describe('an agent that edits allowed_signers itself', () => {
  it('adding its own key is caught when it approves, when a real grant is used, and by audit verify', async () => {
    const granted = await ask()
    expect((await approve(granted, ['--key', key('lead')])).exitCode).toBe(0)
    const id = await ask({ DRIFTCORE_ACTOR: 'agent:copilot-2' })
    await appendFile(
      signersFile(),
      `mallory ${(await readFile(key('mallory.pub'), 'utf8')).split(' ').slice(0, 2).join(' ')}\n`,
    )

    const tried = await approve(id, ['--key', key('mallory')], person)
    expect(tried.exitCode).toBe(8)
    expect(json(tried).error.message).toContain(`${signersFile()} was edited`)
    // Even lead's real grant is not honoured while the file is not the recorded one.
    const used = await call(granted)
    expect(used.exitCode).toBe(8)
    expect(await ranShout()).toBe(false)
    expect((await runCli(project, ['approvers', 'list'])).exitCode).toBe(8)
    const doctor = await runCli(project, ['doctor', '--json'])
    expect(doctor.exitCode).toBe(8)
    expect(JSON.stringify(json(doctor))).toContain('was edited')
    const checked = await verify()
    expect(checked.exitCode).toBe(8)
    expect(checked.report.signatures.problems.some((p: any) => p.message.includes('was edited'))).toBe(true)
  })

  it('deleting it does not switch signing off', async () => {
    const id = await ask()
    await rm(signersFile())
    const tried = await approve(id, [], { DRIFTCORE_ACTOR: 'human:lead' })
    expect(tried.exitCode).toBe(8)
    expect(json(tried).error.message).toContain('was deleted')
    expect((await requests())[id]!.status).toBe('pending')
  })

  it('writing a chained approvers.changed record with its key is caught: no approver signed it', async () => {
    const id = await ask()
    const state = await readFile(signersFile(), 'utf8')
    const mallory = (await readFile(key('mallory.pub'), 'utf8')).split(' ').slice(0, 2).join(' ')
    const text = formatAllowedSigners([...parseAllowedSigners(state), { principal: 'mallory', key: mallory }])
    await appendChained({
      type: 'approvers.changed',
      actor: { type: 'human', id: 'lead' },
      subject: 'mallory',
      data: {
        action: 'add',
        name: 'mallory',
        key: mallory,
        text,
        hash: sha256(text),
        old_hash: sha256(state),
      },
    })
    await writeFile(signersFile(), text)
    const tried = await approve(id, ['--key', key('mallory')])
    expect(tried.exitCode).toBe(8)
    expect(json(tried).error.message).toContain('not signed by an approver of the time')
    const checked = await verify()
    expect(checked.exitCode).toBe(8)
    expect(checked.report.signatures.problems[0].message).toContain('not signed by an approver of the time')
  })

  it('setting approvals.require_signature: false in the project config does not switch signing off', async () => {
    await appendFile(path.join(project.home, 'config.yaml'), 'approvals:\n  require_signature: false\n')
    const id = await ask()
    const tried = await approve(id, [], { DRIFTCORE_ACTOR: 'human:lead' })
    expect(tried.exitCode).toBe(11)
    expect((await requests())[id]!.status).toBe('pending')
  })
})

describe('approvers add|list|remove', () => {
  it('needs a listed approver’s signature after the first, and keeps a history audit verify replays', async () => {
    const unsigned = await runCli(project, ['approvers', 'add', 'sam', '--key', key('sam.pub')], {
      env: person,
    })
    expect(unsigned.exitCode).toBe(11)
    const byAgentKey = await runCli(
      project,
      ['approvers', 'add', 'sam', '--key', key('sam.pub'), '--sign-key', key('mallory')],
      { env: person },
    )
    expect(byAgentKey.exitCode).toBe(8)
    const added = await runCli(
      project,
      ['approvers', 'add', 'sam', '--key', key('sam.pub'), '--sign-key', key('lead'), '--json'],
      { env: person },
    )
    expect(added.exitCode, added.stderr).toBe(0)
    expect(json(added).signed_by.principal).toBe('lead')

    const listed = json(await runCli(project, ['approvers', 'list', '--json']))
    expect(listed.approvers.map((a: any) => a.principal)).toEqual(['lead', 'sam'])
    expect(listed.signing_required).toBe(true)

    const removed = await runCli(project, ['approvers', 'remove', 'sam', '--sign-key', key('sam')], {
      env: person,
    })
    expect(removed.exitCode, removed.stderr).toBe(0)
    expect(json(await runCli(project, ['approvers', 'list', '--json'])).approvers).toHaveLength(1)
    const records = await audit('approvers.changed')
    expect(records.map((r) => [r.data.action, r.data.name, r.data.signature?.principal])).toEqual([
      ['add', 'lead', undefined],
      ['add', 'sam', 'lead'],
      ['remove', 'sam', 'sam'],
    ])
    expect(records[0]!.data.bootstrap).toBe(true)
    const checked = await verify()
    expect(checked.exitCode, checked.stderr).toBe(0)
    expect(checked.report.signatures.approvers_changes).toBe(3)
  })

  it('an agent cannot change the approvers over the gate at all', async () => {
    const tried = await runCli(
      project,
      ['approvers', 'add', 'mallory', '--key', key('mallory.pub'), '--sign-key', key('lead'), '--json'],
      { env: agent },
    )
    expect(tried.exitCode).toBe(4)
  })

  it('refuses a file planted before the first approver', async () => {
    const fresh = await tempProject({ config: CONFIG })
    try {
      const mallory = (await readFile(key('mallory.pub'), 'utf8')).trim()
      await writeFile(path.join(fresh.home, 'allowed_signers'), `mallory ${mallory}\n`)
      const added = await runCli(fresh, ['approvers', 'add', 'lead', '--key', key('lead.pub')])
      expect(added.exitCode).toBe(8)
      expect(added.stderr).toContain('no approvers.changed record')
    } finally {
      await fresh.cleanup()
    }
  })
})

const SOLO_POLICY = `apiVersion: driftcore/v1
kind: PolicyBundle
name: solo
rules:
  - id: allow-read-only
    decision: ALLOW
    match: { risk_tags: { only: [read] } }
  - id: people-change-approvers
    decision: ALLOW
    match: { tools: [approvers.add, approvers.remove], actors: { types: [human] } }
  - id: solo-shout
    decision: REQUIRE_APPROVAL
    self_approval: allowed
    match: { tools: [hello.shout] }
`

describe('self-approval', () => {
  const lead = { DRIFTCORE_ACTOR: 'human:lead' }

  it('works signed where the rule says self_approval: allowed', async () => {
    await writeFile(path.join(project.home, 'policy', 'solo.yaml'), SOLO_POLICY).catch(async () => {
      await execa('mkdir', ['-p', path.join(project.home, 'policy')])
      await writeFile(path.join(project.home, 'policy', 'solo.yaml'), SOLO_POLICY)
    })
    const id = await ask(lead)
    expect((await requests())[id]!.self_approval).toBe(true)
    const approved = await approve(id, ['--key', key('lead')], lead)
    expect(approved.exitCode, approved.stdout).toBe(0)
    const used = await call(id, lead)
    expect(used.exitCode, used.stdout).toBe(0)
    expect((await verify()).exitCode).toBe(0)
  })

  it('is refused, signed or not, where policy does not allow it', async () => {
    const id = await ask(lead)
    const approved = await approve(id, ['--key', key('lead')], lead)
    expect(approved.exitCode).toBe(11)
    expect(json(approved).error.message).toContain('requested')
    expect(json(approved).error.hint).toContain('self_approval: allowed')
  })

  it('is refused unsigned even where policy allows it (no approvers yet)', async () => {
    const solo = await tempProject({ config: CONFIG, policy: { 'solo.yaml': SOLO_POLICY } })
    try {
      await linkHello(solo)
      const asked = await runCli(solo, ['tools', 'call', 'hello.shout', '--input', INPUT, '--json'], {
        env: lead,
      })
      const id = json(asked).error.details.approval_id as string
      const tried = await runCli(solo, ['approvals', 'approve', id, '--json'], { env: lead })
      expect(tried.exitCode).toBe(11)
      expect(json(tried).error.hint).toContain('only with a signature')
    } finally {
      await solo.cleanup()
    }
  })
})

describe('keys in ssh-agent', () => {
  it('a passphrase-protected key loaded in a real ssh-agent signs without --key', async () => {
    await makeKey('pass', 'correct horse battery staple')
    const sock = path.join(project.dir, 'agent.sock')
    const started = await execa('ssh-agent', ['-a', sock, '-s'], { env: { PATH: process.env.PATH } })
    const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(started.stdout)![1])
    try {
      const askpass = path.join(project.dir, 'askpass.sh')
      await writeFile(askpass, "#!/bin/sh\necho 'correct horse battery staple'\n")
      await chmod(askpass, 0o700)
      await execa('ssh-add', [key('pass')], {
        env: {
          PATH: process.env.PATH,
          SSH_AUTH_SOCK: sock,
          SSH_ASKPASS: askpass,
          SSH_ASKPASS_REQUIRE: 'force',
          DISPLAY: ':0',
        },
        stdin: 'ignore',
      })
      const added = await runCli(
        project,
        ['approvers', 'add', 'pat', '--key', key('pass.pub'), '--sign-key', key('lead')],
        { env: person },
      )
      expect(added.exitCode, added.stderr).toBe(0)
      const id = await ask()
      // The agent holds the mallory key too; only the listed one is chosen.
      await execa('ssh-add', [key('mallory')], { env: { PATH: process.env.PATH, SSH_AUTH_SOCK: sock } })
      const approved = await approve(id, [], { ...person, SSH_AUTH_SOCK: sock })
      expect(approved.exitCode, approved.stdout).toBe(0)
      expect(json(approved).approval.decided_by.id).toBe('pat')
      expect((await call(id)).exitCode).toBe(0)
    } finally {
      process.kill(pid)
    }
  })
})

describe('audit checkpoints signed with a person key', () => {
  it('verify with allowed_signers, and fail against one that does not list the key', async () => {
    const made = await runCli(project, ['audit', 'checkpoint', '--key', key('lead'), '--json'], {
      env: person,
    })
    expect(made.exitCode, made.stderr).toBe(0)
    const checkpoint = json(made)
    expect(checkpoint.format).toBe('ssh')
    expect(checkpoint.principal).toBe('lead')
    expect((await verify()).exitCode).toBe(0)

    const anchor = path.join(project.dir, 'anchor.json')
    await writeFile(anchor, made.stdout)
    const others = path.join(project.dir, 'others_signers')
    await writeFile(others, `sam ${(await readFile(key('sam.pub'), 'utf8')).trim()}\n`)
    const elsewhere = await runCli(project, [
      'audit',
      'verify',
      '--anchor',
      anchor,
      '--allowed-signers',
      others,
    ])
    expect(elsewhere.exitCode).toBe(8)
    expect(elsewhere.stderr).toContain('SSH signature does not verify')

    // Edited to claim a later head, the signature no longer holds.
    const lines = (await readFile(path.join(project.home, 'audit-checkpoints.jsonl'), 'utf8'))
      .trim()
      .split('\n')
    const last = JSON.parse(lines.at(-1)!)
    lines[lines.length - 1] = JSON.stringify({ ...last, at: new Date(0).toISOString() })
    await writeFile(path.join(project.home, 'audit-checkpoints.jsonl'), lines.join('\n') + '\n')
    expect((await verify()).exitCode).toBe(8)
  })
})
