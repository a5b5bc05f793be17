import { describe, expect, it } from 'vitest'
import { queryAudit } from '../../../../../src/audit/query.js'
import {
  alice,
  calls,
  fakeClock,
  service,
  writeWorkflow,
  useWorkflowProject,
} from '../../../../helpers/workflow.js'

const t = useWorkflowProject()

const retrying = (failures: number, code = 'unavailable', extra = '') => `  - id: flaky
    type: worker
    tool: wf.flaky
    with: { key: k, failures: ${failures}, code: ${code} }
    retry:
      max_attempts: 4
      backoff: { initial: 100ms, factor: 2, max: 300ms }
${extra}`

describe('step attempts', () => {
  it('retries a failing step with exponential, capped backoff, waiting on the clock instead of sleeping', async () => {
    const time = fakeClock()
    const file = await writeWorkflow(t.project, 'retry', retrying(3))
    const { state } = await service(t.kernel, { clock: time.clock }).start(file, {})
    expect(state.steps.flaky).toMatchObject({ status: 'succeeded', attempt: 4, output: { calls: 4 } })
    expect(time.sleeps).toEqual([100, 200, 300])
    const events = await service(t.kernel).timeline(state.run_id)
    const failures = events.filter((e) => e.type === 'step.attempt_failed')
    expect(failures.map((e) => Date.parse((e as { retry_at: string }).retry_at) - Date.parse(e.at))).toEqual([
      100, 200, 300,
    ])
    // Each attempt went through the gate with its own idempotency key run/step/attempt.
    await t.kernel.close()
    const records = await queryAudit(t.kernel.paths.audit, { type: 'tool.call', subject: 'wf.flaky' })
    expect(records.map((r) => r.data.idempotency_key)).toEqual(
      [1, 2, 3, 4].map((n) => `${state.run_id}/flaky/${n}`),
    )
    expect(records.map((r) => (r.data.meta as { attempt: number }).attempt)).toEqual([1, 2, 3, 4])
  })

  it('adds jitter within the configured fraction', async () => {
    const time = fakeClock()
    time.clock.random = () => 1
    const file = await writeWorkflow(
      t.project,
      'jitter',
      retrying(1).replace('max: 300ms', 'max: 300ms, jitter: 0.5'),
    )
    await service(t.kernel, { clock: time.clock }).start(file, {})
    expect(time.sleeps).toEqual([150])
  })

  it('fails after the last attempt and sends the job to the DLQ with its attempts and last error', async () => {
    const time = fakeClock()
    const file = await writeWorkflow(t.project, 'exhaust', retrying(9))
    const svc = service(t.kernel, { clock: time.clock })
    const { state } = await svc.start(file, {})
    expect(state.status).toBe('failed')
    expect(state.steps.flaky).toMatchObject({ status: 'failed', attempt: 4, error: { code: 'unavailable' } })
    const [entry] = await svc.deadLetters.list()
    expect(entry).toMatchObject({
      run_id: state.run_id,
      step: 'flaky',
      error_code: 'unavailable',
      error_message: 'k failure 4',
      last_state: 'failed',
      attempts: 4,
      job: { protocol_version: 'driftcore.job/v1', topic: 'wf.flaky', attempt: 4 },
    })
    expect(state.steps.flaky!.dlq_id).toBe(entry!.id)
  })

  it('does not retry an error code that is not in retry_on', async () => {
    const file = await writeWorkflow(t.project, 'noretry', retrying(2, 'invalid_input'))
    const { state } = await service(t.kernel, { clock: fakeClock().clock }).start(file, {})
    expect(state.steps.flaky).toMatchObject({
      status: 'failed',
      attempt: 1,
      error: { code: 'invalid_input' },
    })
    expect(calls.get('k')).toBe(1)
  })

  it('fails a step whose output does not match its output schema', async () => {
    const file = await writeWorkflow(
      t.project,
      'shape',
      '  - { id: a, type: worker, tool: wf.echo, with: { value: 5 }, output: { type: object, required: [value], properties: { value: { type: string } } } }\n',
    )
    const { state } = await service(t.kernel).start(file, {})
    expect(state.steps.a!.status).toBe('failed')
    expect(state.steps.a!.error!.message).toContain('value: must be string')
  })

  it('parks a step the policy sends to a person, suspends the run, and runs it with the approval after resume', async () => {
    const file = await writeWorkflow(
      t.project,
      'gated',
      `  - { id: change, type: worker, tool: wf.write, with: { key: w } }
  - { id: after, type: worker, tool: wf.echo, depends_on: [change], with: { key: after, value: "\${{ steps.change.output.written }}" } }
`,
    )
    const svc = service(t.kernel)
    const first = await svc.start(file, {})
    expect(first.state.status).toBe('suspended')
    const approvalId = first.state.steps.change!.approval_id!
    expect(approvalId).toMatch(/^apr_/)
    expect(calls.get('w')).toBeUndefined()
    const approval = await t.kernel.approvals.get(approvalId)
    expect(approval).toMatchObject({
      tool: 'wf.write',
      workflow: { run_id: first.state.run_id, step: 'change' },
    })
    // Resuming before anyone decided suspends again, without asking twice.
    expect((await svc.resume(first.state.run_id)).state.status).toBe('suspended')
    expect(await t.kernel.approvals.list('pending')).toHaveLength(1)
    await t.kernel.approvals.decide(approvalId, alice, 'approved')
    const done = await svc.resume(first.state.run_id)
    expect(done.state.status).toBe('succeeded')
    expect(done.state.steps.after!.output).toEqual({ value: 'w' })
    expect(calls.get('w')).toBe(1)
    expect((await t.kernel.approvals.get(approvalId)).status).toBe('used')
  })

  it('fails the step when the person denies the approval', async () => {
    const file = await writeWorkflow(
      t.project,
      'denied',
      '  - { id: change, type: worker, tool: wf.write, with: { key: d } }\n',
    )
    const svc = service(t.kernel)
    const first = await svc.start(file, {})
    await t.kernel.approvals.decide(first.state.steps.change!.approval_id!, alice, 'denied', 'not today')
    const { state } = await svc.resume(first.state.run_id)
    expect(state.status).toBe('failed')
    expect(state.steps.change!.error).toMatchObject({
      code: 'policy_denied',
      message: expect.stringContaining('not today'),
    })
    expect(calls.get('d')).toBeUndefined()
  })
})
