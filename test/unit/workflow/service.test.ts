import { appendFile, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { queryAudit } from '../../../src/audit/query.js'
import { allowOverrides } from '../../helpers/project.js'
import {
  alice,
  calls,
  fakeClock,
  service,
  workflowKernel,
  writeWorkflow,
  useWorkflowProject,
} from '../../helpers/workflow.js'

const t = useWorkflowProject({ config: 'launcher:\n  allowlist: [node]\n' })

const chain = `  - { id: a, type: worker, tool: wf.echo, with: { key: a, value: "\${{ inputs.v }}" } }
  - { id: b, type: worker, tool: wf.echo, depends_on: [a], with: { key: b, value: "\${{ steps.a.output.value }}-b" } }
  - { id: c, type: worker, tool: wf.echo, depends_on: [b], with: { key: c, value: "\${{ steps.b.output.value }}-c" } }
  - { id: side, type: worker, tool: wf.echo, with: { key: side, value: 1 } }
`

describe('workflow runs', () => {
  it('an approval step waits for a named approver, refuses others, and continues once approved', async () => {
    const file = await writeWorkflow(
      t.project,
      'human',
      `  - { id: ok, type: approval, message: "deploy \${{ inputs.site }}?", approvers: ["human:alice"] }
  - { id: go, type: worker, tool: wf.echo, depends_on: [ok], with: { key: go, value: "\${{ steps.ok.output.decided_by.id }}" } }
`,
    )
    const svc = service(t.kernel)
    const first = await svc.start(file, { site: 'prod' })
    expect(first.state.status).toBe('suspended')
    const id = first.state.steps.ok!.approval_id!
    expect(await t.kernel.approvals.get(id)).toMatchObject({
      tool: 'workflow:human/ok',
      reason: 'deploy prod?',
    })
    await expect(
      t.kernel.approvals.decide(id, { type: 'human', id: 'bob' }, 'approved'),
    ).rejects.toMatchObject({ code: 'forbidden' })
    await expect(
      t.kernel.approvals.decide(id, { type: 'human', id: 'tester' }, 'approved'),
    ).rejects.toMatchObject({ code: 'forbidden' })
    await t.kernel.approvals.decide(id, alice, 'approved', 'go')
    const { state } = await svc.resume(first.state.run_id)
    expect(state.status).toBe('succeeded')
    expect(state.steps.ok!.output).toMatchObject({ approved: true, decided_by: alice, comment: 'go' })
    expect(state.steps.go!.output).toEqual({ value: 'alice' })
  })

  it('with waitForApprovals a run keeps waiting and continues as soon as the approval is granted', async () => {
    const file = await writeWorkflow(t.project, 'patient', '  - { id: ok, type: approval, message: go? }\n')
    const svc = service(t.kernel)
    const { state } = await svc.start(
      file,
      {},
      {
        waitForApprovals: true,
        onEvent: (e) => {
          if (e.type === 'step.waiting') void t.kernel.approvals.decide(e.approval_id!, alice, 'approved')
        },
      },
    )
    expect(state.status).toBe('succeeded')
    expect(state.steps.ok!.output).toMatchObject({ approved: true, decided_by: alice })
  })

  it('a resumed delay keeps the deadline it was given', async () => {
    const time = fakeClock()
    const file = await writeWorkflow(t.project, 'timer', '  - { id: wait, type: delay, duration: 10m }\n')
    const svc = service(t.kernel, { clock: time.clock })
    // Journal a run that started its timer, as a crashed process would have left it.
    const run = await svc.start(file, {}, { onEvent: () => undefined })
    expect(time.sleeps).toEqual([600_000])
    const journal = path.join(t.kernel.paths.runs, run.state.run_id, 'journal.jsonl')
    const lines = (await readFile(journal, 'utf8')).trim().split('\n')
    const waiting = lines.findIndex((l) => l.includes('"step.waiting"'))
    await writeFile(journal, lines.slice(0, waiting + 1).join('\n') + '\n')
    time.set(Date.parse('2026-01-01T00:04:00.000Z'))
    const { state } = await service(t.kernel, { clock: time.clock }).resume(run.state.run_id)
    expect(state.status).toBe('succeeded')
    expect(time.sleeps.at(-1)).toBe(360_000)
    expect(state.steps.wait!.output).toEqual({ until: '2026-01-01T00:10:00.000Z' })
  })

  it('rerun from a step reuses the outputs of every step not downstream of it', async () => {
    const file = await writeWorkflow(t.project, 'chain', chain)
    const svc = service(t.kernel)
    const first = await svc.start(file, { v: 'x' })
    expect(first.state.steps.c!.output).toEqual({ value: 'x-b-c' })
    const again = await svc.rerun(first.state.run_id, 'b')
    expect(again.state.status).toBe('succeeded')
    expect(again.state.run_id).not.toBe(first.state.run_id)
    expect(again.state.rerun_of).toEqual({ run_id: first.state.run_id, from: 'b' })
    expect(again.state.steps.a).toMatchObject({ status: 'succeeded', reused_from: first.state.run_id })
    expect(again.state.steps.side).toMatchObject({ status: 'succeeded', reused_from: first.state.run_id })
    expect(again.state.steps.c!.output).toEqual({ value: 'x-b-c' })
    expect([calls.get('a'), calls.get('side'), calls.get('b'), calls.get('c')]).toEqual([1, 1, 2, 2])
    await expect(svc.rerun(first.state.run_id, 'nope')).rejects.toMatchObject({ code: 'invalid_input' })
  })

  it('returns the existing run for a repeated idempotency key and refuses the key for other input', async () => {
    const file = await writeWorkflow(t.project, 'once', chain)
    const svc = service(t.kernel)
    const first = await svc.start(file, { v: 1 }, { idempotencyKey: 'k1' })
    const again = await svc.start(file, { v: 1 }, { idempotencyKey: 'k1' })
    expect(again.existing).toBe(true)
    expect(again.state.run_id).toBe(first.state.run_id)
    expect(calls.get('a')).toBe(1)
    await expect(svc.start(file, { v: 2 }, { idempotencyKey: 'k1' })).rejects.toMatchObject({
      code: 'conflict',
    })
    expect(await readdir(t.kernel.paths.runs)).toEqual([first.state.run_id])
  })

  it('sends a job on a topic no pool takes to the DLQ as no_pool_mapping, and dlq retry delivers it once a pool exists', async () => {
    const file = await writeWorkflow(
      t.project,
      'routed',
      `  - { id: build, type: worker, topic: site.build, with: { key: routed, value: 7 }, meta: { requires: [php] } }
  - { id: after, type: worker, tool: wf.echo, depends_on: [build], with: { key: after, value: "\${{ steps.build.output.value }}" } }
`,
    )
    const first = await service(t.kernel).start(file, {})
    expect(first.state.status).toBe('failed')
    expect(first.state.steps.after!.status).toBe('blocked')
    const [entry] = await service(t.kernel).deadLetters.list()
    expect(entry).toMatchObject({
      error_code: 'no_pool_mapping',
      last_state: 'queued',
      attempts: 0,
      topic: 'site.build',
    })
    expect(entry!.error_message).toContain('no pool takes topic "site.build"')
    // A pool that takes the topic but lacks a capability the job requires does not help.
    await t.kernel.close()
    await allowOverrides(t.project, ['pools']) // pools is a protected key
    t.kernel = await workflowKernel(t.project, [
      'pools.web.topics=[site.build]',
      'pools.web.handler.tool=wf.echo',
    ])
    await expect(service(t.kernel).retryDeadLetter(entry!.id)).resolves.toMatchObject({
      state: { status: 'failed' },
    })
    const [second] = await service(t.kernel).deadLetters.list()
    expect(second!.error_message).toContain('offers php')
    await t.kernel.close()
    await allowOverrides(t.project, ['pools']) // pools is a protected key
    t.kernel = await workflowKernel(t.project, [
      'pools.php.topics=[site.build]',
      'pools.php.capabilities=[php]',
      'pools.php.handler.tool=wf.echo',
    ])
    const { state } = await service(t.kernel).retryDeadLetter(second!.id)
    expect(state.status).toBe('succeeded')
    expect(state.steps.after!.output).toEqual({ value: 7 })
    expect(await service(t.kernel).deadLetters.list()).toEqual([])
    const events = await service(t.kernel).timeline(state.run_id)
    expect(events.map((e) => e.type)).toContain('run.reopened')
  })

  it("runs a pool's external worker command through the launcher with the job envelope on stdin", async () => {
    await writeFile(
      path.join(t.project.dir, 'worker.mjs'),
      'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);console.log(JSON.stringify({got:j.input,topic:j.topic,v:j.protocol_version,actor:j.metadata.actor_id}))})',
    )
    await t.kernel.close()
    await allowOverrides(t.project, ['pools']) // pools is a protected key
    t.kernel = await workflowKernel(t.project, [
      'pools.ext.topics=[report]',
      'pools.ext.handler.command=[node, worker.mjs]',
    ])
    const file = await writeWorkflow(
      t.project,
      'ext',
      '  - { id: r, type: worker, topic: report, with: { n: 1 } }\n',
    )
    const svc = service(t.kernel)
    const first = await svc.start(file, {})
    // pool.exec runs a program: the default policy asks a person first.
    expect(first.state.status).toBe('suspended')
    await t.kernel.approvals.decide(first.state.steps.r!.approval_id!, alice, 'approved')
    const { state } = await svc.resume(first.state.run_id)
    expect(state.steps.r!.output).toEqual({
      got: { n: 1 },
      topic: 'report',
      v: 'driftcore.job/v1',
      actor: 'tester',
    })
  })

  it('a cancel with no live process records the cancellation itself', async () => {
    const file = await writeWorkflow(t.project, 'parked', '  - { id: ok, type: approval, message: wait }\n')
    const svc = service(t.kernel)
    const first = await svc.start(file, {})
    const { state } = await svc.cancel(first.state.run_id, 'not needed')
    expect(state.status).toBe('cancelled')
    expect(state.steps.ok).toMatchObject({ status: 'cancelled' })
    await expect(svc.resume(first.state.run_id)).rejects.toMatchObject({ code: 'invalid_input' })
    await expect(svc.cancel(first.state.run_id, 'again')).rejects.toMatchObject({ code: 'invalid_input' })
  })

  it('a cancelled run withdraws the approvals it waits on, pending or granted, so none is decided or used for nothing', async () => {
    await t.kernel.close()
    await allowOverrides(t.project, ['pools']) // pools is a protected key
    t.kernel = await workflowKernel(t.project, [
      'pools.ext.topics=[report]',
      'pools.ext.handler.command=[node, -e, "0"]',
    ])
    const file = await writeWorkflow(
      t.project,
      'two-waits',
      `  - { id: ok, type: approval, message: wait }
  - { id: r, type: worker, topic: report, with: { n: 1 } }
`,
    )
    const svc = service(t.kernel)
    const first = await svc.start(file, {})
    expect(first.state.status).toBe('suspended')
    const step = first.state.steps.ok!.approval_id!
    const tool = first.state.steps.r!.approval_id!
    // A person grants the tool call, but the run is cancelled before it resumes to use it.
    await t.kernel.approvals.decide(tool, alice, 'approved')
    await svc.cancel(first.state.run_id, 'not needed any more')
    for (const id of [step, tool]) {
      expect(await t.kernel.approvals.get(id)).toMatchObject({
        status: 'withdrawn',
        withdrawn: { reason: expect.stringContaining('not needed any more') as unknown },
      })
    }
    expect(await t.kernel.approvals.list('pending')).toEqual([])
    await expect(t.kernel.approvals.decide(step, alice, 'approved')).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('withdrawn') as unknown,
    })
    await t.kernel.audit.flush()
    const withdrawn = await queryAudit(t.kernel.paths.audit, { type: 'approval.withdrawn' })
    expect(withdrawn.map((r) => r.subject).sort()).toEqual([step, tool].sort())
    expect(withdrawn[0]!.data).toMatchObject({ run_id: first.state.run_id })
  })

  it('prune deletes finished runs older than the cut-off with their files, keeps the rest, and audits each deletion', async () => {
    const svc = service(t.kernel)
    const done = await svc.start(
      await writeWorkflow(t.project, 'done', chain),
      { v: 1 },
      { idempotencyKey: 'k1' },
    )
    const dead = await svc.start(
      await writeWorkflow(
        t.project,
        'routed',
        '  - { id: build, type: worker, topic: nowhere, with: { v: 1 } }\n',
      ),
      {},
    )
    const waiting = await svc.start(
      await writeWorkflow(t.project, 'waits', '  - { id: ok, type: approval, message: go? }\n'),
      {},
    )
    const cutoff = new Date(Date.now() + 1)
    await new Promise((resolve) => setTimeout(resolve, 5))
    const recent = await svc.start(await writeWorkflow(t.project, 'recent', chain), { v: 2 })
    expect([done, dead, waiting, recent].map((r) => r.state.status)).toEqual([
      'succeeded',
      'failed',
      'suspended',
      'succeeded',
    ])

    const statuses = ['succeeded', 'failed', 'cancelled', 'timed_out'] as const
    const dry = await svc.prune({ before: cutoff, statuses, dryRun: true })
    expect(dry.pruned.map((r) => r.run_id)).toEqual([done.state.run_id])
    expect(dry.kept).toEqual([
      { run_id: dead.state.run_id, reason: expect.stringContaining('dead-lettered') as unknown },
    ])
    expect((await readdir(t.kernel.paths.runs)).length).toBe(4)

    const result = await svc.prune({ before: cutoff, statuses, dryRun: false })
    expect(result.pruned.map((r) => r.run_id)).toEqual([done.state.run_id])
    expect((await readdir(t.kernel.paths.runs)).sort()).toEqual(
      [dead.state.run_id, waiting.state.run_id, recent.state.run_id].sort(),
    )
    expect((await svc.list()).map((r) => r.run_id)).not.toContain(done.state.run_id)
    await expect(svc.status(done.state.run_id)).rejects.toMatchObject({ code: 'not_found' })
    // Its idempotency key is free again: a repeated key starts a new run.
    const again = await svc.start(
      await writeWorkflow(t.project, 'done', chain),
      { v: 1 },
      { idempotencyKey: 'k1' },
    )
    expect(again).toMatchObject({ existing: false })
    await t.kernel.audit.flush()
    const audited = await queryAudit(t.kernel.paths.audit, { type: 'run.pruned' })
    expect(audited).toEqual([
      expect.objectContaining({
        subject: done.state.run_id,
        data: expect.objectContaining({ workflow: 'done', status: 'succeeded' }) as unknown,
      }),
    ])
    // The run's own step records stay in the audit log.
    const steps = (await queryAudit(t.kernel.paths.audit, { type: 'tool.call' })).filter(
      (r) => (r.data.meta as { run_id?: string } | undefined)?.run_id === done.state.run_id,
    )
    expect(steps.length).toBe(4)
  })

  it('refuses to resume a finished or unknown run', async () => {
    const file = await writeWorkflow(t.project, 'done', chain)
    const svc = service(t.kernel)
    const { state } = await svc.start(file, { v: 1 })
    await expect(svc.resume(state.run_id)).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('already succeeded'),
    })
    await expect(svc.resume('run_20990101_000000_000000')).rejects.toMatchObject({ code: 'not_found' })
    await expect(svc.resume('../../etc')).rejects.toMatchObject({ code: 'invalid_input' })
  })

  it('refuses a journal with a corrupted line in the middle, naming the line, and changes nothing', async () => {
    const file = await writeWorkflow(t.project, 'broken', '  - { id: ok, type: approval, message: wait }\n')
    const svc = service(t.kernel)
    const { state } = await svc.start(file, {})
    const journal = path.join(t.kernel.paths.runs, state.run_id, 'journal.jsonl')
    const lines = (await readFile(journal, 'utf8')).split('\n')
    lines[1] = lines[1]!.slice(0, 20) + '#' + lines[1]!.slice(21)
    await writeFile(journal, lines.join('\n'))
    const before = await stat(journal)
    await expect(svc.resume(state.run_id)).rejects.toMatchObject({
      code: 'integrity',
      message: expect.stringContaining(`${journal}:2: corrupted journal line`),
    })
    expect((await stat(journal)).size).toBe(before.size)
  })

  it('refuses to resume a run whose workflow.json was edited, or made unreadable, and runs nothing', async () => {
    const file = await writeWorkflow(
      t.project,
      'edited',
      `  - { id: ok, type: approval, message: wait }
  - { id: go, type: worker, tool: wf.echo, depends_on: [ok], with: { key: edited-go, value: 1 } }
`,
    )
    const svc = service(t.kernel)
    const { state } = await svc.start(file, {})
    const recorded = path.join(t.kernel.paths.runs, state.run_id, 'workflow.json')
    const text = await readFile(recorded, 'utf8')
    // Written in pieces, the file is the text JSON.stringify gives.
    expect(text).toBe(JSON.stringify(JSON.parse(text), null, 2) + '\n')
    await t.kernel.approvals.decide(state.steps.ok!.approval_id!, alice, 'approved')
    // A same-user shell points the approved step at other input.
    await writeFile(recorded, text.replace('"value": 1', '"value": 2'))
    await expect(svc.resume(state.run_id)).rejects.toMatchObject({
      code: 'integrity',
      message: `${recorded} does not match the hash recorded in the journal`,
    })
    // Or writes bytes that are not UTF-8: an integrity error too, never a decoded guess.
    await writeFile(recorded, Buffer.concat([Buffer.from(text.slice(0, 10)), Buffer.from([0xff])]))
    await expect(svc.resume(state.run_id)).rejects.toMatchObject({
      code: 'integrity',
      message: expect.stringContaining(`${recorded} is unreadable`),
    })
    expect(calls.get('edited-go')).toBeUndefined()
  })

  it('tolerates a torn last line: it is cut and the run continues', async () => {
    const file = await writeWorkflow(t.project, 'torn', '  - { id: ok, type: approval, message: wait }\n')
    const svc = service(t.kernel)
    const { state } = await svc.start(file, {})
    const journal = path.join(t.kernel.paths.runs, state.run_id, 'journal.jsonl')
    await appendFile(journal, '{"seq":99,"at":"2026-')
    await t.kernel.approvals.decide(state.steps.ok!.approval_id!, alice, 'approved')
    const resumed = await svc.resume(state.run_id)
    expect(resumed.state.status).toBe('succeeded')
    const text = await readFile(journal, 'utf8')
    expect(text).not.toContain('"seq":99')
    expect(
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { seq: number }).seq),
    ).toEqual(Array.from({ length: resumed.state.seq }, (_, i) => i + 1))
  })
})
