import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { JournalEvent } from '../../../../src/workflow/journal/events.js'
import type { RunState } from '../../../../src/workflow/journal/state.js'
import { liveView } from '../../../../src/workflow/view/live.js'
import { eventLine } from '../../../../src/workflow/view/format.js'

function state(steps: Record<string, RunState['steps'][string]['status']>): RunState {
  return {
    run_id: 'run_x',
    workflow_name: 'w',
    workflow_sha256: '',
    input: {},
    actor: { type: 'human', id: 't' },
    trace_id: '',
    created_at: '',
    updated_at: '',
    status: 'running',
    seq: 1,
    steps: Object.fromEntries(
      Object.entries(steps).map(([id, status]) => [
        id,
        { status, attempt: 1, extra_attempts: 0, processes: [] },
      ]),
    ),
  }
}

describe('the run views', () => {
  it('redraw one line per step in place on a terminal, ending with the final states', async () => {
    let screen = ''
    const stream = Object.assign(
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          screen += chunk.toString()
          done()
        },
      }),
      { isTTY: true, columns: 100, rows: 20 },
    ) as unknown as NodeJS.WriteStream
    const view = liveView(stream, ['build', 'test'])
    const event = { seq: 1, at: '', type: 'run.attached', pid: 1, host: 'h', resumed: false } as JournalEvent
    view.onEvent(event, state({ build: 'running', test: 'pending' }))
    await new Promise((resolve) => setTimeout(resolve, 120))
    expect(screen).toMatch(/▶ build\s+running/)
    view.onEvent(event, state({ build: 'succeeded', test: 'failed' }))
    view.done()
    expect(screen).toMatch(/✔ build\s+succeeded/)
    expect(screen).toMatch(/✖ test\s+failed/)
    expect(screen).toContain('\u001b[') // cursor movement: the lines were redrawn, not appended
  })

  it('prints the message of a notify step with a stdout sink', () => {
    const line = eventLine({
      seq: 3,
      at: '2026-01-01T12:00:00.000Z',
      type: 'step.succeeded',
      step: 'tell',
      attempt: 1,
      output: { message: 'deployed main', delivered: [{ sink: 'stdout' }] },
    })
    expect(line).toBe('12:00:00.000 step.succeeded tell "deployed main" attempt 1')
  })
})
