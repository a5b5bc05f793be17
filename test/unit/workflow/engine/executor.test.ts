import { describe, expect, it } from 'vitest'
import { calls, service, writeWorkflow, useWorkflowProject } from '../../../helpers/workflow.js'

const t = useWorkflowProject({ config: 'workflow:\n  concurrency: 4\n' })

describe('the executor', () => {
  it('fans out to independent steps in parallel and fans in once all of them succeeded', async () => {
    const branches = ['a', 'b', 'c']
      .map(
        (id) =>
          `  - { id: ${id}, type: worker, tool: wf.echo, depends_on: [start], with: { value: "${id}" } }\n`,
      )
      .join('')
    const file = await writeWorkflow(
      t.project,
      'fan',
      `  - { id: start, type: worker, tool: wf.echo, with: { value: 0 } }\n${branches}` +
        `  - id: join\n    type: worker\n    tool: wf.echo\n    depends_on: [a, b, c]\n` +
        `    with: { value: "\${{ [steps.a.output.value, steps.b.output.value, steps.c.output.value] }}" }\n`,
    )
    const events: string[] = []
    const { state } = await service(t.kernel).start(
      file,
      {},
      { onEvent: (e) => events.push(`${e.type} ${'step' in e ? e.step : ''}`) },
    )
    expect(state.status).toBe('succeeded')
    expect(state.steps.join!.output).toEqual({ value: ['a', 'b', 'c'] })
    // All three branches were started before any of them finished.
    const started = ['a', 'b', 'c'].map((id) => events.indexOf(`step.started ${id}`))
    const firstDone = Math.min(...['a', 'b', 'c'].map((id) => events.indexOf(`step.succeeded ${id}`)))
    expect(Math.max(...started)).toBeLessThan(firstDone)
    expect(events.indexOf('step.started join')).toBeGreaterThan(
      Math.max(...['a', 'b', 'c'].map((id) => events.indexOf(`step.succeeded ${id}`))),
    )
  })

  it('blocks a step whose dependency failed, timed out or was blocked, and runs one whose dependency was skipped', async () => {
    const file = await writeWorkflow(
      t.project,
      'gating',
      `  - { id: bad, type: worker, tool: wf.flaky, with: { key: bad, failures: 9, code: internal } }
  - { id: slow, type: worker, tool: wf.hang, timeout: 50ms }
  - { id: skip, type: worker, tool: wf.echo, when: "false", with: { key: skip, value: 1 } }
  - { id: after_bad, type: worker, tool: wf.echo, depends_on: [bad], with: { key: after_bad, value: 1 } }
  - { id: after_slow, type: worker, tool: wf.echo, depends_on: [slow], with: { key: after_slow, value: 1 } }
  - { id: after_blocked, type: worker, tool: wf.echo, depends_on: [after_bad], with: { key: after_blocked, value: 1 } }
  - { id: after_skip, type: worker, tool: wf.echo, depends_on: [skip], with: { key: after_skip, value: 1 } }
`,
    )
    const { state } = await service(t.kernel).start(file, {})
    const status = Object.fromEntries(Object.entries(state.steps).map(([id, s]) => [id, s.status]))
    expect(status).toEqual({
      bad: 'failed',
      slow: 'timed_out',
      skip: 'skipped',
      after_bad: 'blocked',
      after_slow: 'blocked',
      after_blocked: 'blocked',
      after_skip: 'succeeded',
    })
    expect(state.status).toBe('failed')
    expect(calls.get('after_bad')).toBeUndefined()
    expect(calls.get('after_slow')).toBeUndefined()
    expect(calls.get('after_skip')).toBe(1)
    expect(state.steps.after_bad!.reason).toBe('dependency bad failed')
  })

  it('blocks the dependents of a cancelled step and cancels what had not started', async () => {
    const file = await writeWorkflow(
      t.project,
      'cancelme',
      `  - { id: wait, type: worker, tool: wf.hang }
  - { id: next, type: worker, tool: wf.echo, depends_on: [wait], with: { key: next, value: 1 } }
`,
    )
    const interrupt = new AbortController()
    const { state } = await service(t.kernel).start(
      file,
      {},
      {
        interrupt: interrupt.signal,
        onEvent: (e) => {
          if (e.type === 'step.started') setTimeout(() => interrupt.abort(), 20)
        },
      },
    )
    expect(state.status).toBe('cancelled')
    expect(state.steps.wait!.status).toBe('cancelled')
    expect(state.steps.next!.status).toBe('cancelled')
    expect(calls.get('next')).toBeUndefined()
  })

  it('never runs more steps at once than the workflow allows', async () => {
    const steps = Array.from(
      { length: 6 },
      (_, i) => `  - { id: s${i}, type: worker, tool: wf.hang, timeout: 30ms }\n`,
    ).join('')
    const file = await writeWorkflow(t.project, 'narrow', steps, 'concurrency: 2\n')
    let running = 0
    let peak = 0
    await service(t.kernel).start(
      file,
      {},
      {
        onEvent: (e) => {
          if (e.type === 'step.started') peak = Math.max(peak, ++running)
          if (e.type === 'step.timed_out') running -= 1
        },
      },
    )
    expect(peak).toBe(2)
  })

  it('reaches the steps after more sleeping delays than it starts ahead of its slots (1,024)', async () => {
    const delays = Array.from({ length: 1_100 }, (_, i) => `  - { id: d${i}, type: delay, duration: 1h }\n`)
    const file = await writeWorkflow(
      t.project,
      'many-sleeps',
      `${delays.join('')}  - { id: last, type: worker, tool: wf.echo, with: { value: 1 } }\n`,
      'concurrency: 1\n',
    )
    const interrupt = new AbortController()
    const { state } = await service(t.kernel).start(
      file,
      {},
      {
        interrupt: interrupt.signal,
        onEvent: (e) => {
          if (e.type === 'step.succeeded' && e.step === 'last') interrupt.abort()
        },
      },
    )
    expect(state.steps.last).toMatchObject({ status: 'succeeded', output: { value: 1 } })
    expect(state.status).toBe('cancelled')
    expect(Object.values(state.steps).filter((s) => s.status === 'cancelled')).toHaveLength(1_100)
  }, 60_000)

  it('passes typed values between steps and evaluates conditions as the step output', async () => {
    const file = await writeWorkflow(
      t.project,
      'typed',
      `  - { id: count, type: worker, tool: wf.echo, with: { value: "\${{ inputs.n * 2 }}" } }
  - { id: big, type: condition, depends_on: [count], expression: "steps.count.output.value > 5" }
  - id: text
    type: worker
    tool: wf.echo
    depends_on: [big]
    when: steps.big.output
    with: { value: "n=\${{ steps.count.output.value }} env=\${{ run.workflow }}" }
`,
      'input: { type: object, properties: { n: { type: integer } }, required: [n] }\n',
    )
    const { state } = await service(t.kernel).start(file, { n: 3 })
    expect(state.steps.count!.output).toEqual({ value: 6 })
    expect(state.steps.big!.output).toBe(true)
    expect(state.steps.text!.output).toEqual({ value: 'n=6 env=typed' })
  })

  it('refuses input that does not match the workflow input schema, before anything is recorded', async () => {
    const file = await writeWorkflow(
      t.project,
      'strict',
      '  - { id: a, type: worker, tool: wf.echo, with: { value: 1 } }\n',
      'input: { type: object, properties: { site: { type: string } }, required: [site], additionalProperties: false }\n',
    )
    const error = await service(t.kernel)
      .start(file, { site: 3, extra: true })
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'invalid_input' })
    expect((error as Error).message).toContain('site: must be string')
    expect((error as Error).message).toContain('(root): must NOT have additional properties')
    expect(await service(t.kernel).list()).toEqual([])
  })

  it('ends a run that passes its timeout as timed out, cancelling what had not started', async () => {
    const file = await writeWorkflow(
      t.project,
      'late',
      `  - { id: wait, type: worker, tool: wf.hang }
  - { id: next, type: worker, tool: wf.echo, depends_on: [wait], with: { value: 1 } }
`,
      'timeout: 100ms\n',
    )
    const { state } = await service(t.kernel).start(file, {})
    expect(state.status).toBe('timed_out')
    expect(state.steps.wait!.status).toBe('timed_out')
    expect(state.steps.next!.status).toBe('cancelled')
  })
})
