import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ApprovalRequest } from '../../src/approvals/approvals.js'
import { approvalDigest } from '../../src/approvals/evidence.js'
import { checkLine, sealRecord } from '../../src/audit/record.js'
import { listSegments } from '../../src/audit/segments.js'
import { verifyAudit } from '../../src/audit/verify.js'
import {
  fixturePluginContribution,
  json,
  runCli,
  tempProject,
  testKernel,
  type TempProject,
} from '../helpers/project.js'
import { linkHello, startRun, waitForEvent } from '../helpers/workflow-cli.js'
import { approvalRequests, approvalsJournal, editApprovals } from '../helpers/approvals-state.js'

// Hole 5: an agent with a shell, as the same OS user, edits .driftcore/state/approvals.jsonl
// (or rides on an approval meant for someone, something or somewhere else) to get a call run
// that no person approved. Every attempt must fail, and the forgery must be detected.

let project: TempProject
const agent = { DRIFTCORE_ACTOR: 'agent:copilot' }
const alice = { DRIFTCORE_ACTOR: 'human:alice' }
const CONFIG = 'launcher:\n  allowlist: [echo]\n'
const INPUT = JSON.stringify({ words: ['rm', '-rf', 'prod'] })
// A workflow whose one step runs that call: policy asks a person first.
const WIPE = `apiVersion: driftcore/v1
kind: Workflow
name: wipe
steps:
  - id: wipe
    type: worker
    tool: hello.shout
    with: { words: [rm, -rf, prod] }
`

beforeEach(async () => {
  project = await tempProject({ config: CONFIG })
  await linkHello(project)
})
afterEach(() => project.cleanup())

const stateFile = () => approvalsJournal(project.home)

async function ask(env = agent, input = INPUT): Promise<string> {
  const asked = await runCli(project, ['tools', 'call', 'hello.shout', '--input', input, '--json'], { env })
  expect(asked.exitCode, asked.stderr).toBe(5)
  return json(asked).error.details.approval_id as string
}

async function call(id: string, env = agent, input = INPUT) {
  return runCli(project, ['tools', 'call', 'hello.shout', '--input', input, '--approval', id, '--json'], {
    env,
  })
}

async function editState(edit: (requests: Record<string, ApprovalRequest>) => void): Promise<void> {
  await editApprovals(project.home, edit)
}

async function audit(type: string): Promise<{ type: string; subject: string; data: Record<string, any> }[]> {
  return json(await runCli(project, ['audit', 'query', '--type', type, '--json']))
}

async function ranShout(): Promise<boolean> {
  return (await audit('tool.call')).some((r) => r.subject === 'hello.shout' && r.data.outcome === 'ok')
}

describe('a forged approval in state/approvals.json', () => {
  it('is refused with exit 8 naming the file, is audited, and the call does not run', async () => {
    const id = await ask()
    await editState((requests) => {
      Object.assign(requests[id]!, {
        status: 'approved',
        decided_by: { type: 'human', id: 'alice' },
        decided_at: new Date().toISOString(),
      })
    })

    const forged = await call(id)
    expect(forged.exitCode, forged.stdout + forged.stderr).toBe(8)
    expect(json(forged).error.code).toBe('integrity')
    expect(json(forged).error.message).toContain(stateFile())
    expect(json(forged).error.message).toContain(id)
    expect(await ranShout()).toBe(false)
    const [record] = await audit('approval.forged')
    expect(record).toMatchObject({ subject: id, data: { file: stateFile(), tool: 'hello.shout' } })
    expect((await audit('tool.call')).at(-1)).toMatchObject({
      subject: 'hello.shout',
      data: { outcome: 'error', approval_id: id, error: { code: 'integrity' } },
    })

    // audit verify reports it too, even though every audit record is intact.
    const verify = await runCli(project, ['audit', 'verify', '--json'])
    expect(verify.exitCode).toBe(8)
    expect(json(verify).approvals.problems).toEqual([
      expect.objectContaining({ id, status: 'approved', file: stateFile() }),
    ])
    // So does the audit.verify tool an agent calls over MCP: a forged grant is not "ok".
    const tool = await runCli(project, ['tools', 'call', 'audit.verify', '--json'])
    expect(json(tool).output).toMatchObject({ ok: false, approval_problems: [expect.stringContaining(id)] })
    const human = await runCli(project, ['audit', 'verify'])
    expect(human.exitCode, human.stdout + human.stderr).toBe(8)
    expect(human.stderr).toContain(stateFile())
    expect(human.stderr).toContain(id)
    const doctor = await runCli(project, ['doctor', '--json'])
    expect(json(doctor)).toContainEqual(
      expect.objectContaining({ check: 'approvals', status: 'error', detail: expect.stringContaining(id) }),
    )
  })

  it('a forged `used` approval (history rewritten) is reported by audit verify', async () => {
    const id = await ask()
    await editState((requests) => {
      Object.assign(requests[id]!, {
        status: 'used',
        decided_by: { type: 'human', id: 'alice' },
        decided_at: new Date().toISOString(),
        used_at: new Date().toISOString(),
      })
    })
    const verify = await runCli(project, ['audit', 'verify', '--json'])
    expect(verify.exitCode).toBe(8)
    expect(json(verify).approvals.problems).toEqual([expect.objectContaining({ id, status: 'used' })])
  })

  it('copying a real approval’s decision onto another request does not make it approved', async () => {
    const real = await ask(agent, JSON.stringify({ words: ['harmless'] }))
    expect((await runCli(project, ['approvals', 'approve', real], { env: alice })).exitCode).toBe(0)
    const other = await ask()
    await editState((requests) => {
      const { status, decided_by, decided_at } = requests[real]!
      Object.assign(requests[other]!, { status, decided_by, decided_at })
    })
    const forged = await call(other)
    expect(forged.exitCode).toBe(8)
    expect(await ranShout()).toBe(false)
  })

  it('extending a granted approval’s expiry in the state file is detected', async () => {
    const id = await ask()
    expect((await runCli(project, ['approvals', 'approve', id], { env: alice })).exitCode).toBe(0)
    await editState((requests) => {
      requests[id]!.expires_at = new Date(Date.now() + 365 * 86_400_000).toISOString()
    })
    const forged = await call(id)
    expect(forged.exitCode).toBe(8)
    expect(await ranShout()).toBe(false)
  })

  it('a used approval rolled back to `approved` in the state file is refused (exit 8) and the call does not run again', async () => {
    const id = await ask()
    expect((await runCli(project, ['approvals', 'approve', id], { env: alice })).exitCode).toBe(0)
    expect((await call(id)).exitCode).toBe(0)
    const used = await audit('approval.used')
    expect(used).toEqual([
      expect.objectContaining({ subject: id, data: expect.objectContaining({ tool: 'hello.shout' }) }),
    ])
    // The agent's shell puts the request back as it was before its use.
    await editState((requests) => {
      const r = requests[id]!
      r.status = 'approved'
      delete r.used_at
      delete r.used_trace
    })
    const replay = await call(id)
    expect(replay.exitCode, replay.stdout + replay.stderr).toBe(8)
    expect(json(replay).error.code).toBe('integrity')
    expect(json(replay).error.message).toContain('approval.used')
    expect(json(replay).error.message).toContain(stateFile())
    const calls = (await audit('tool.call')).filter(
      (r) => r.subject === 'hello.shout' && r.data.outcome === 'ok',
    )
    expect(calls).toHaveLength(1)
    expect(await audit('approval.forged')).toEqual([expect.objectContaining({ subject: id })])
    // Refused for good: putting `used` back does not make it usable either.
    const verify = await runCli(project, ['audit', 'verify', '--json'])
    expect(verify.exitCode).toBe(8)
    expect(json(verify).approvals.problems).toEqual([expect.objectContaining({ id, status: 'approved' })])
  })

  it('a genuine approval still runs the call, once, and audit verify stays clean', async () => {
    const id = await ask()
    expect((await runCli(project, ['approvals', 'approve', id], { env: alice })).exitCode).toBe(0)
    const ran = await call(id)
    expect(ran.exitCode, ran.stderr).toBe(0)
    expect(json(ran).output).toEqual({ stdout: 'rm -rf prod\n', exit_code: 0 })
    const verify = await runCli(project, ['audit', 'verify', '--json'])
    expect(verify.exitCode, verify.stdout).toBe(0)
    expect(json(verify)).toMatchObject({ ok: true, approvals: { checked: 1, problems: [] } })
  })
})

describe('who may approve, and what an approval is bound to', () => {
  it('only a human approves: system:, ci: and workflow: actors are refused (exit 11)', async () => {
    const id = await ask()
    for (const actor of ['system:cron', 'ci:github', 'workflow:nightly']) {
      const r = await runCli(project, ['approvals', 'approve', id], { env: { DRIFTCORE_ACTOR: actor } })
      expect(r.exitCode, `${actor}: ${r.stderr}`).toBe(11)
      expect(r.stderr).toContain('only a person')
    }
    expect(json(await runCli(project, ['approvals', 'show', id, '--json'])).status).toBe('pending')
  })

  it('another actor cannot use an approval granted to the requester', async () => {
    const id = await ask()
    expect((await runCli(project, ['approvals', 'approve', id], { env: alice })).exitCode).toBe(0)
    const stolen = await call(id, { DRIFTCORE_ACTOR: 'agent:other-bot' })
    expect(stolen.exitCode).toBe(11)
    expect(json(stolen).error.message).toContain('agent:copilot')
    expect(await ranShout()).toBe(false)
    // The requester still can.
    expect((await call(id)).exitCode).toBe(0)
  })

  it('an approval asked under one environment or config is not used under another', async () => {
    const id = await ask()
    expect((await runCli(project, ['approvals', 'approve', id], { env: alice })).exitCode).toBe(0)

    await writeFile(path.join(project.home, 'config.yaml'), `${CONFIG}project:\n  environment: prod\n`)
    const prod = await call(id)
    expect(prod.exitCode).toBe(11)
    expect(json(prod).error.message).toContain('environment')

    await writeFile(path.join(project.home, 'config.yaml'), `${CONFIG}  default_timeout_ms: 123456\n`)
    const other = await call(id)
    expect(other.exitCode).toBe(11)
    expect(json(other).error.message).toContain('config')
    expect(await ranShout()).toBe(false)

    await writeFile(path.join(project.home, 'config.yaml'), CONFIG)
    expect((await call(id)).exitCode).toBe(0)
  })

  it('an approval granted for a workflow step cannot be used outside that run; the run resumes with it', async () => {
    await writeFile(path.join(project.dir, 'wipe.yaml'), WIPE)
    const run = await runCli(project, ['workflow', 'run', 'wipe.yaml', '--json'], { env: agent })
    expect(run.exitCode, run.stderr).toBe(5)
    const state = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
      run_id: string
      steps: { wipe: { approval_id: string } }
    }
    const id = state.steps.wipe.approval_id
    expect((await runCli(project, ['approvals', 'approve', id], { env: alice })).exitCode).toBe(0)

    const outside = await call(id)
    expect(outside.exitCode).toBe(11)
    expect(json(outside).error.message).toContain(state.run_id)
    expect(await ranShout()).toBe(false)

    const resumed = await runCli(project, ['workflow', 'resume', state.run_id], { env: agent })
    expect(resumed.exitCode, resumed.stdout + resumed.stderr).toBe(0)
    expect(resumed.stdout).toContain('step.succeeded wipe')
  })

  it('a grant forged while a --wait run polls is read at once and refused: the step fails with integrity, the tool never runs', async () => {
    // The waiting run keeps the journal parsed between polls (the stat decides when to read it
    // again): the agent's appended line must reach it, and be caught as the forgery it is.
    await writeFile(path.join(project.dir, 'wipe.yaml'), WIPE)
    const child = startRun(
      project,
      ['workflow', 'run', 'wipe.yaml', '--wait', '--json', '-c', 'workflow.poll_interval_ms=50'],
      agent,
    )
    try {
      const waiting = await waitForEvent(child, (e) => e.type === 'step.waiting')
      const id = waiting.approval_id as string
      await editState((requests) => {
        Object.assign(requests[id]!, {
          status: 'approved',
          decided_by: { type: 'human', id: 'alice' },
          decided_at: new Date().toISOString(),
        })
      })
      const failed = await waitForEvent(child, (e) => e.type === 'step.failed' || e.type === 'step.succeeded')
      expect(failed).toMatchObject({ type: 'step.failed', step: 'wipe', error: { code: 'integrity' } })
      expect((await audit('approval.forged')).map((r) => r.subject)).toEqual([id])
      expect(await ranShout()).toBe(false)
    } finally {
      child.kill()
      await child
    }
  })

  it('a workflow cannot give its approval step a longer life than approvals.ttl_ms', async () => {
    await writeFile(
      path.join(project.dir, 'long.yaml'),
      `apiVersion: driftcore/v1
kind: Workflow
name: long
steps:
  - id: ok
    type: approval
    message: keep this open for a month
    timeout: 30d
`,
    )
    const run = await runCli(project, ['workflow', 'run', 'long.yaml', '--json'], { env: agent })
    expect(run.exitCode, run.stderr).toBe(5)
    const state = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
      steps: { ok: { approval_id: string } }
    }
    const approval = json<ApprovalRequest>(
      await runCli(project, ['approvals', 'show', state.steps.ok.approval_id, '--json']),
    )
    const life = Date.parse(approval.expires_at) - Date.parse(approval.created_at)
    expect(life).toBeLessThanOrEqual(86_400_000)
  })
})

describe('a forged approval.approved record written into the audit log as well', () => {
  // The agent also writes the record consume looks for, with the right digest and a valid hash
  // of its own. Pasted into the middle of the chain, or past the end HEAD.json records, it does
  // not link in place and is refused. (A record appended and chained properly, HEAD and all,
  // cannot be told from a real one by the chain alone: that is what checkpoints and signed
  // approvals are for.)
  const agentActor = { type: 'agent', id: 'copilot' }
  async function forgeBoth(where: 'middle' | 'past-head') {
    const kernel = await testKernel(project, [await fixturePluginContribution()])
    try {
      const input = { words: ['rm', '-rf', 'prod'] }
      for (const words of [['a'], ['b'], ['c']])
        await kernel.gate.invoke('hello.greet', { name: words[0] }, agentActor)
      const error = (await kernel.gate.invoke('hello.shout', input, agentActor).catch((e: unknown) => e)) as {
        details: { approval_id: string }
      }
      const id = error.details.approval_id
      await kernel.audit.flush()
      await editState((requests) => {
        Object.assign(requests[id]!, {
          status: 'approved',
          decided_by: { type: 'human', id: 'alice' },
          decided_at: new Date().toISOString(),
        })
      })
      const forged = (await approvalRequests(project.home))[id]!
      const auditDir = path.join(project.home, 'audit')
      const segment = path.join(auditDir, (await listSegments(auditDir)).at(-1)!)
      const lines = (await readFile(segment, 'utf8')).trimEnd().split('\n')
      const after = where === 'middle' ? 1 : lines.length - 1
      const previous = checkLine(lines[after]!)!
      const { line } = sealRecord(
        {
          type: 'approval.approved',
          actor: { type: 'human', id: 'alice' },
          subject: id,
          data: {
            tool: forged.tool,
            input_hash: forged.input_hash,
            requester: forged.requester,
            digest: approvalDigest(forged),
          },
        },
        previous.seq + 1,
        previous.hash,
        new Date().toISOString(),
        forged.trace_id,
      )
      lines.splice(after + 1, 0, line.trimEnd())
      await writeFile(segment, lines.join('\n') + '\n')

      await expect(
        kernel.gate.invoke('hello.shout', input, agentActor, { approvalId: id }),
      ).rejects.toMatchObject({
        code: 'integrity',
        message: expect.stringContaining(stateFile()),
      })
    } finally {
      // After a paste into the middle the log refuses new records (the bytes past HEAD do not
      // chain), so the refused call's own record cannot be flushed: closing says so.
      closed = await kernel.close().then(
        () => undefined,
        (e: unknown) => e,
      )
    }
    expect(await ranShout()).toBe(false)
  }
  let closed: unknown

  it('pasted into the middle of the chain, it is refused and audit verify fails', async () => {
    await forgeBoth('middle')
    expect(closed).toMatchObject({ code: 'integrity' })
    expect((await verifyAudit(path.join(project.home, 'audit'))).ok).toBe(false)
  })

  it('appended past the end HEAD.json records, it is refused', async () => {
    await forgeBoth('past-head')
    expect(closed).toBeUndefined()
    const [record] = await audit('approval.forged')
    expect(record).toMatchObject({ data: { file: stateFile() } })
    // Writing that record adopted the pasted line into the chain (it links), but an approval
    // once refused as forged stays refused: trying again does not run the call.
    const kernel = await testKernel(project, [await fixturePluginContribution()])
    try {
      await expect(
        kernel.gate.invoke('hello.shout', { words: ['rm', '-rf', 'prod'] }, agentActor, {
          approvalId: record!.subject,
        }),
      ).rejects.toMatchObject({
        code: 'integrity',
        message: expect.stringContaining('already refused it as forged'),
      })
    } finally {
      await kernel.close()
    }
    expect(await ranShout()).toBe(false)
    const verified = await runCli(project, ['audit', 'verify', '--json'])
    expect(verified.exitCode, verified.stdout).toBe(8)
  })
})
