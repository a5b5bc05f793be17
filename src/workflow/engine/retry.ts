import { durationMs } from '../format/duration.js'
import type { RetryPolicy } from '../format/schema.js'
import type { StepState } from '../journal/state.js'

/** Delay before the attempt after `failedAttempt`: initial × factor^(n-1), capped, ± jitter. */
export function backoffMs(policy: RetryPolicy, failedAttempt: number, random: () => number): number {
  const { initial, factor, max, jitter } = policy.backoff
  const base = Math.min(durationMs(max), durationMs(initial) * factor ** (failedAttempt - 1))
  const spread = base * jitter * (random() * 2 - 1)
  return Math.max(0, Math.round(base + spread))
}

/** Whether a failure with `code` earns another attempt. */
export function shouldRetry(policy: RetryPolicy, step: StepState, code: string): boolean {
  const allowed = policy.max_attempts + step.extra_attempts
  return step.attempt < allowed && (policy.retry_on as string[]).includes(code)
}
