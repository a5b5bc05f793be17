import { randomBytes } from 'node:crypto'
import path from 'node:path'
import picomatch from 'picomatch'
import type { AuditLog } from '../audit/log.js'
import type { Actor } from '../audit/record.js'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { JsonDocument } from '../store/documents.js'
import type { PolicyDecision } from '../policy/engine.js'

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'used' | 'expired' | 'withdrawn'

export interface ApprovalRequest {
  id: string
  tool: string
  input_hash: string
  /** The exact input, kept only when it holds nothing the redactor would mask. */
  input?: unknown
  /** Otherwise the whole input with secrets masked, so an approver still sees all of it. */
  input_redacted?: unknown
  input_summary: string
  requester: Actor
  rule_ids: string[]
  deciding_rule: string | null
  reason: string
  approvers?: string[][]
  trace_id: string
  status: ApprovalStatus
  created_at: string
  expires_at: string
  decided_by?: Actor
  decided_at?: string
  comment?: string
  used_at?: string
  /** Set when what asked for it no longer needs it (its workflow run was cancelled). */
  withdrawn?: { by: Actor; at: string; reason: string }
  /** Set for a workflow's approval step: the run to resume once it is decided. */
  workflow?: { run_id: string; step: string }
}

/** A person's decision asked for by something other than a tool call (a workflow's approval step). */
export interface DecisionRequest {
  /** What is to be approved, shown as the request's tool, e.g. `workflow:deploy/confirm`. */
  subject: string
  inputHash: string
  inputSummary: string
  requester: Actor
  reason: string
  /** Patterns an approver must match (one list). */
  approvers?: string[]
  traceId: string
  ttlMs?: number
  workflow?: { run_id: string; step: string }
}

interface ApprovalsDoc {
  requests: Record<string, ApprovalRequest>
}

function actorKey(actor: Actor): string {
  return `${actor.type}:${actor.id}`
}

function approvalsDoc(stateDir: string): JsonDocument<ApprovalsDoc> {
  return new JsonDocument(path.join(stateDir, 'approvals.json'), () => ({ requests: {} }))
}

/** Reads one approval without the machinery to change it (for status polling). */
export async function readApproval(stateDir: string, id: string): Promise<ApprovalRequest> {
  const request = (await approvalsDoc(stateDir).read()).requests[id]
  if (!request) throw notFound(id)
  return withExpiry(request, new Date())
}

/**
 * Pending human decisions. An approval is bound to one tool and the hash of one exact input,
 * is used at most once, expires, and can be granted only by a person other than the requester
 * (agents can never approve) who matches the rule's approvers, if it names any.
 */
export class Approvals {
  private readonly doc: JsonDocument<ApprovalsDoc>

  constructor(
    private readonly stateDir: string,
    private readonly options: { ttlMs: number; audit: AuditLog },
  ) {
    this.doc = approvalsDoc(stateDir)
  }

  async request(args: {
    tool: string
    inputHash: string
    input: unknown
    /** The whole input, redacted; kept when `input` cannot be. */
    inputRedacted?: unknown
    inputSummary: string
    requester: Actor
    decision: PolicyDecision
    traceId: string
    workflow?: { run_id: string; step: string }
  }): Promise<ApprovalRequest> {
    return this.create(
      {
        tool: args.tool,
        input_hash: args.inputHash,
        ...(args.input === undefined ? {} : { input: args.input }),
        ...(args.input === undefined && args.inputRedacted !== undefined
          ? { input_redacted: args.inputRedacted }
          : {}),
        input_summary: args.inputSummary,
        requester: args.requester,
        rule_ids: args.decision.rule_ids,
        deciding_rule: args.decision.deciding_rule,
        reason: args.decision.reason,
        ...(args.decision.approvers ? { approvers: args.decision.approvers } : {}),
        trace_id: args.traceId,
        ...(args.workflow ? { workflow: args.workflow } : {}),
      },
      this.options.ttlMs,
    )
  }

  /**
   * Asks a person to decide something that is not a tool call. It is bound to `subject` and
   * `inputHash` like a tool approval, so `consume` marks it used exactly once, and the same
   * rules apply to who may decide it.
   */
  async requestDecision(args: DecisionRequest): Promise<ApprovalRequest> {
    return this.create(
      {
        tool: args.subject,
        input_hash: args.inputHash,
        input_summary: args.inputSummary,
        requester: args.requester,
        rule_ids: [],
        deciding_rule: null,
        reason: args.reason,
        ...(args.approvers && args.approvers.length > 0 ? { approvers: [args.approvers] } : {}),
        trace_id: args.traceId,
        ...(args.workflow ? { workflow: args.workflow } : {}),
      },
      args.ttlMs ?? this.options.ttlMs,
    )
  }

  // One pending request per subject, input and requester: asking again returns the same one.
  private async create(
    fields: Omit<ApprovalRequest, 'id' | 'status' | 'created_at' | 'expires_at'>,
    ttlMs: number,
  ): Promise<ApprovalRequest> {
    const now = new Date()
    const { created, request } = await this.doc.update((doc) => {
      const existing = Object.values(doc.requests).find(
        (r) =>
          r.status === 'pending' &&
          r.tool === fields.tool &&
          r.input_hash === fields.input_hash &&
          actorKey(r.requester) === actorKey(fields.requester) &&
          Date.parse(r.expires_at) > now.getTime(),
      )
      if (existing) return { created: false, request: existing }
      const request: ApprovalRequest = {
        id: `apr_${randomBytes(6).toString('hex')}`,
        ...fields,
        status: 'pending',
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + ttlMs).toISOString(),
      }
      doc.requests[request.id] = request
      return { created: true, request }
    })
    if (created) {
      await this.options.audit.record({
        type: 'approval.requested',
        actor: fields.requester,
        subject: request.id,
        trace_id: fields.trace_id,
        data: {
          tool: request.tool,
          input_hash: request.input_hash,
          rule_ids: request.rule_ids,
          reason: request.reason,
          expires_at: request.expires_at,
          ...(request.workflow ? { workflow: request.workflow } : {}),
        },
      })
    }
    return request
  }

  async get(id: string): Promise<ApprovalRequest> {
    return readApproval(this.stateDir, id)
  }

  async list(status?: ApprovalStatus): Promise<ApprovalRequest[]> {
    const now = new Date()
    return Object.values((await this.doc.read()).requests)
      .map((r) => withExpiry(r, now))
      .filter((r) => status === undefined || r.status === status)
      .sort((a, b) => a.created_at.localeCompare(b.created_at))
  }

  async pendingCount(): Promise<number> {
    return (await this.list('pending')).length
  }

  async decide(
    id: string,
    approver: Actor,
    verdict: 'approved' | 'denied',
    comment?: string,
  ): Promise<ApprovalRequest> {
    const request = await this.doc.update((doc) => {
      const r = doc.requests[id]
      if (!r) throw notFound(id)
      const current = withExpiry(r, new Date())
      if (current.status !== 'pending') {
        throw new DriftcoreError('conflict', `approval ${id} is ${current.status}, not pending`)
      }
      if (approver.type === 'agent') {
        throw new DriftcoreError('forbidden', `an agent (${approver.id}) cannot decide approval ${id}`, {
          hint: 'a person decides: driftcore approvals approve ' + id,
        })
      }
      if (actorKey(approver) === actorKey(r.requester) || approver.id === r.requester.id) {
        throw new DriftcoreError('forbidden', `${approver.id} requested ${id} and cannot decide it too`, {
          hint: 'ask another person to approve it',
        })
      }
      for (const patterns of r.approvers ?? []) {
        if (
          !patterns.some((p) => picomatch.isMatch(approver.id, p) || picomatch.isMatch(actorKey(approver), p))
        ) {
          throw new DriftcoreError(
            'forbidden',
            `${actorKey(approver)} is not among the approvers for ${id}: ${patterns.join(', ')}`,
          )
        }
      }
      r.status = verdict
      r.decided_by = approver
      r.decided_at = new Date().toISOString()
      if (comment) r.comment = comment
      return { ...r }
    })
    await this.options.audit.record({
      type: verdict === 'approved' ? 'approval.approved' : 'approval.denied',
      actor: approver,
      subject: id,
      trace_id: request.trace_id,
      data: {
        tool: request.tool,
        input_hash: request.input_hash,
        requester: request.requester,
        ...(comment ? { comment } : {}),
      },
    })
    return request
  }

  /**
   * Withdraws a request nobody needs any more (its workflow run was cancelled), so nobody
   * approves it for nothing and a grant is never used later. Pending and approved-but-unused
   * requests become `withdrawn`; one already denied, used or expired is left as it is.
   */
  async withdraw(id: string, by: Actor, reason: string): Promise<ApprovalRequest> {
    let changed = false
    const request = await this.doc.update((doc) => {
      const r = doc.requests[id]
      if (!r) throw notFound(id)
      const current = withExpiry(r, new Date())
      if (current.status !== 'pending' && current.status !== 'approved') return current
      changed = true
      r.status = 'withdrawn'
      r.withdrawn = { by, at: new Date().toISOString(), reason }
      return { ...r }
    })
    if (changed) {
      await this.options.audit.record({
        type: 'approval.withdrawn',
        actor: by,
        subject: id,
        trace_id: request.trace_id,
        data: { tool: request.tool, input_hash: request.input_hash, reason, ...request.workflow },
      })
    }
    return request
  }

  /** Marks an approval used for exactly this tool and input; refuses anything else. */
  async consume(id: string, tool: string, inputHash: string): Promise<ApprovalRequest> {
    return this.doc.update((doc) => {
      const r = doc.requests[id]
      if (!r) throw notFound(id)
      const current = withExpiry(r, new Date())
      if (current.status !== 'approved') {
        throw new DriftcoreError(
          current.status === 'pending' ? 'approval_required' : 'forbidden',
          `approval ${id} is ${current.status}`,
          {
            details: { approval_id: id, status: current.status },
          },
        )
      }
      if (r.tool !== tool || r.input_hash !== inputHash) {
        throw new DriftcoreError(
          'forbidden',
          `approval ${id} was granted for ${r.tool} with a different input`,
          {
            hint: 'an approval is bound to the exact input it was requested for',
          },
        )
      }
      r.status = 'used'
      r.used_at = new Date().toISOString()
      return { ...r }
    })
  }
}

function withExpiry(request: ApprovalRequest, now: Date): ApprovalRequest {
  if (
    (request.status === 'pending' || request.status === 'approved') &&
    Date.parse(request.expires_at) <= now.getTime()
  ) {
    return { ...request, status: 'expired' }
  }
  return request
}

function notFound(id: string): DriftcoreError {
  return new DriftcoreError('not_found', `no approval ${id}`, {
    hint: 'list them with `driftcore approvals list`',
  })
}
