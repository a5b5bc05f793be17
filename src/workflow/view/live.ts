import { createLogUpdate } from 'log-update'
import type { JournalEvent } from '../journal/events.js'
import type { RunState } from '../journal/state.js'
import { stepDetail } from './format.js'

const MARK: Record<string, string> = {
  pending: '·',
  running: '▶',
  retry_wait: '↻',
  waiting: '…',
  succeeded: '✔',
  failed: '✖',
  timed_out: '⏱',
  cancelled: '⊘',
  skipped: '↷',
  blocked: '⊘',
}

/**
 * Live step states on a terminal: one line per step, redrawn in place (log-update) at most
 * every 80 ms, so a run with thousands of transitions does not flood the terminal.
 */
export function liveView(stream: NodeJS.WriteStream, order: readonly string[]) {
  const update = createLogUpdate(stream)
  let last: RunState | undefined
  let timer: NodeJS.Timeout | undefined
  const rows = Math.max(5, (stream.rows || 24) - 4)
  const draw = () => {
    timer = undefined
    if (!last) return
    const state = last
    const lines = order.slice(0, rows).map((id) => {
      const s = state.steps[id]!
      return `${MARK[s.status] ?? ' '} ${id.padEnd(20)} ${s.status.padEnd(10)} ${stepDetail(s).slice(0, 80)}`
    })
    if (order.length > rows) lines.push(`  … ${order.length - rows} more steps`)
    update([`${state.run_id}  ${state.workflow_name}  ${state.status}`, ...lines].join('\n'))
  }
  return {
    onEvent(_event: JournalEvent, state: RunState) {
      last = state
      timer ??= setTimeout(draw, 80)
    },
    done() {
      if (timer) clearTimeout(timer)
      draw()
      update.done()
    },
  }
}
