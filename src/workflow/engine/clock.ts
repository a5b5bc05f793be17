import { DriftcoreError } from '../../errors/driftcore-error.js'

/**
 * Time as the engine sees it. Retry backoff and delay steps wait through the clock, so tests
 * inject one that moves instantly instead of sleeping. (Step and policy timeouts use real
 * timers: they bound real work.)
 */
export interface Clock {
  now(): number
  /** Resolves after `ms`, or rejects with the signal's reason when it is aborted. */
  sleep(ms: number, signal: AbortSignal): Promise<void>
  random(): number
}

export const systemClock: Clock = {
  now: () => Date.now(),
  random: () => Math.random(),
  sleep(ms, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(abortReason(signal))
      const timer = setTimeout(
        () => {
          signal.removeEventListener('abort', onAbort)
          resolve()
        },
        Math.max(0, ms),
      )
      const onAbort = () => {
        clearTimeout(timer)
        reject(abortReason(signal))
      }
      signal.addEventListener('abort', onAbort, { once: true })
    })
  },
}

let lastTime = { ms: Number.NaN, text: '' }

/**
 * `new Date(ms).toISOString()`, the same string for the same millisecond: a run keeps three
 * timestamps per step in its state, and steps finishing together share theirs (a 50k-step
 * fan-out finishes several steps a millisecond) instead of each holding its own copy.
 */
export function isoTime(ms: number): string {
  if (ms !== lastTime.ms) lastTime = { ms, text: new Date(ms).toISOString() }
  return lastTime.text
}

export function abortReason(signal: AbortSignal): DriftcoreError {
  const reason: unknown = signal.reason
  return reason instanceof DriftcoreError ? reason : new DriftcoreError('cancelled', 'cancelled')
}
