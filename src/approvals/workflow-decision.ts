import type { Actor } from '../audit/record.js'
import { callerIdentity } from '../audit/identity.js'
import type { WorkflowDecision, WorkflowDecisionInput } from '../kernel/host.js'
import { canonicalHash } from '../store/hash.js'
import { sameRequester, type Approvals } from './approvals.js'

/**
 * The service side of a workflow approval step run in a pod (`approvals.request`). The request
 * is the one a local approval step opens: subject `workflow:<name>/<step>`, bound to the hash of
 * run, step and message, to the workflow run and step, and to the caller as requester, so the
 * same rules decide who may approve it (a person, never the requester or any agent). Asking
 * again finds it rather than opening another: the task polls with this same call. An approved
 * request is used here (marked used, checked against its audit record and signature) and every
 * later ask reports it approved, so a retried task gets the same answer.
 */
export async function workflowDecision(
  approvals: Approvals,
  input: WorkflowDecisionInput,
  actor: Actor,
  traceId: string,
): Promise<WorkflowDecision> {
  const identity = callerIdentity(undefined)
  const subject = `workflow:${input.workflow}/${input.step}`
  const workflow = { run_id: input.run_id, step: input.step }
  const inputHash = canonicalHash({ run_id: input.run_id, step: input.step, message: input.message })
  const mine = (await approvals.list()).filter(
    (r) =>
      r.tool === subject &&
      r.input_hash === inputHash &&
      r.workflow?.run_id === workflow.run_id &&
      r.workflow.step === workflow.step &&
      sameRequester(r, actor, identity),
  )
  let r =
    mine.at(-1) ??
    (await approvals.requestDecision({
      subject,
      inputHash,
      inputSummary: input.message,
      requester: actor,
      reason: input.message,
      ...(input.approvers ? { approvers: input.approvers } : {}),
      traceId,
      ...(input.ttl_ms ? { ttlMs: input.ttl_ms } : {}),
      workflow,
      ...(identity ? { identity } : {}),
    }))
  if (r.status === 'approved')
    r = await approvals.consume(r.id, {
      tool: subject,
      inputHash,
      actor,
      workflow,
      traceId,
      ...(identity ? { identity } : {}),
    })
  return {
    id: r.id,
    status: r.status === 'used' ? 'approved' : r.status,
    expires_at: r.expires_at,
    ...(r.decided_by ? { decided_by: r.decided_by } : {}),
    ...(r.comment ? { comment: r.comment } : {}),
  }
}
