import type { Progress } from '../registry/types.js'

/** How often a running call reports that it is still running when its handler says nothing. */
export const HEARTBEAT_MS = 1_000

// What a heartbeat adds to the last value: far below any step a handler reports, so its next
// real report still counts as progress (clients drop a value that does not grow).
const NUDGE = 1e-6

/**
 * The progress a call reports while its handler runs: the handler's own updates (only those
 * that move forward, as MCP requires), and, whenever a whole interval passes without one, a
 * heartbeat saying the call is still running. Clients reset their request timeout on progress
 * (the MCP SDK with `resetTimeoutOnProgress`), so a 10-minute `sandbox.exec`, a harvest or a
 * workflow step is not cut off at the client's 60 s default while driftcore still allows it.
 */
export function progressPump(
  tool: string,
  sink: (progress: Progress) => void,
  intervalMs = HEARTBEAT_MS,
): { report: (update: Progress) => void; stop: () => void } {
  const started = Date.now()
  let last = -Infinity
  let total: number | undefined
  let sentAt = started
  let stopped = false
  const send = (update: Progress) => {
    last = update.progress
    if (update.total !== undefined) total = update.total
    sentAt = Date.now()
    try {
      sink(update)
    } catch {
      // A caller's progress display must never fail the call.
    }
  }
  const timer = setInterval(() => {
    if (stopped || Date.now() - sentAt < intervalMs) return
    const seconds = Math.round((Date.now() - started) / 1000)
    send({
      progress: Math.max(last, 0) + NUDGE,
      ...(total === undefined ? {} : { total }),
      message: `${tool} still running (${seconds} s)`,
    })
  }, intervalMs)
  timer.unref()
  return {
    report: (update) => {
      if (stopped || !Number.isFinite(update.progress) || !(update.progress > last)) return
      send(update)
    },
    stop: () => {
      stopped = true
      clearInterval(timer)
    },
  }
}
