import type { ApprovalRequest } from '../../../approvals/approvals.js'
import { DriftcoreError } from '../../../errors/driftcore-error.js'
import { systemClock } from '../clock.js'
import type { StepRuntime } from '../runtime.js'

/**
 * Waits for a person to decide an approval. While it is pending the step is parked, so a run
 * whose every step waits on people can be suspended (the process exits; `workflow resume`
 * picks it up). Polling uses real time: it waits on people, not on a retry policy.
 *
 * The step stays parked while it polls, not only while it sleeps: with a thousand approval
 * steps, some step is always between two sleeps, and a run that waited for a moment when none
 * was would never be suspended.
 */
export async function awaitDecision(rt: StepRuntime, id: string): Promise<ApprovalRequest> {
  try {
    return await pollDecision(rt, id)
  } finally {
    rt.parked(false)
  }
}

async function pollDecision(rt: StepRuntime, id: string): Promise<ApprovalRequest> {
  for (;;) {
    const request = await rt.deps.approvals.get(id)
    // Suspended (or cancelled) while this poll read the store: the step goes no further now;
    // what was decided meanwhile is read again when the run resumes.
    rt.waitSignal.throwIfAborted()
    if (request.status === 'approved' || request.status === 'used') return request
    if (request.status === 'denied') {
      const by = request.decided_by ? ` by ${request.decided_by.type}:${request.decided_by.id}` : ''
      throw new DriftcoreError(
        'policy_denied',
        `approval ${id} was denied${by}${request.comment ? `: ${request.comment}` : ''}`,
      )
    }
    if (request.status === 'withdrawn')
      throw new DriftcoreError(
        'cancelled',
        `approval ${id} was withdrawn${request.withdrawn ? `: ${request.withdrawn.reason}` : ''}`,
      )
    if (request.status === 'expired')
      throw new DriftcoreError(
        'timeout',
        `approval ${id} expired at ${request.expires_at} without a decision`,
      )
    rt.parked(true)
    await systemClock.sleep(rt.deps.pollMs, rt.waitSignal)
  }
}
