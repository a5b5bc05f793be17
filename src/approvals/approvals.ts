import { randomBytes } from 'node:crypto'
import picomatch from 'picomatch'
import type { AuditLog } from '../audit/log.js'
import type { Actor, Identity } from '../audit/record.js'
import { DriftcoreError } from '../errors/driftcore-error.js'
import type { PolicyDecision } from '../policy/engine.js'
import { assertFresh, type Approvers } from '../identity/approvers.js'
import { SETUP_HINT } from '../identity/signing-key.js'
import { approvalDigest, findApprovalEvidence, findApprovalUse, FORGED_TYPE, USED_TYPE } from './evidence.js'
import {
  COUNTED_TYPE,
  countText,
  quorumProblem,
  required,
  samePerson,
  voteDigest,
  voteOf,
  type ApprovalVote,
} from './quorum.js'
import { ApprovalStore, type Stored } from './store.js'
import {
  APPROVAL_NAMESPACE,
  approvalStatement,
  type ApprovalSignature,
  type SignedDecision,
} from './statement.js'

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
  /** What the call would do, as its tool described it when approval was asked (advisory). */
  preview?: string
  requester: Actor
  /**
   * For a request an MCP client made: the client's name from initialize and the uid of the
   * server process. The same client repeating the call in a later session (a new actor id,
   * `agent:<client>/<session>`) is the same requester; see `sameRequester`.
   */
  requester_mcp?: { client: string; uid?: number }
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
  /** The trace of the call that used it: a workflow attempt interrupted by a crash retries as that call. */
  used_trace?: string
  /** Set when what asked for it no longer needs it (its workflow run was cancelled). */
  withdrawn?: { by: Actor; at: string; reason: string }
  /** Set for a workflow's approval step: the run to resume once it is decided. */
  workflow?: { run_id: string; step: string }
  /** The effective config hash and environment it was asked under; it is used under those only. */
  config_hash?: string
  environment?: string
  /** Policy accepted the MCP client's own answer for this call when it was asked. */
  client_attestation?: true
  /** Set when it was decided by the MCP client's answer to an elicitation, not by a person. */
  via?: 'mcp-elicitation'
  /** The MCP client's name (from initialize), for `via: mcp-elicitation`. */
  client?: string
  /** Policy lets the requester approve it themselves, signed (`self_approval: allowed`). */
  self_approval?: true
  /** The person's SSH signature over the decision (`approvalStatement`), verified when it was made. */
  signature?: ApprovalSignature
  /** How many different people must approve, when policy asked for more than one (`approval.count`). */
  approvals_required?: number
  /** With `approvals_required`: each person's approval so far, in order (see quorum.ts). */
  approved_by?: ApprovalVote[]
}

/** An MCP client's own answer to an elicitation: its word, recorded as such (see `attest`). */
export interface ClientAttestation {
  /** The session's agent actor, e.g. `agent:claude-code/3f9a0c1d`. */
  by: Actor
  via: 'mcp-elicitation'
  /** The client's name as it gave it in initialize. */
  client: string
}

/** What a call that wants to use an approval is: it must be exactly what was approved. */
export interface ApprovalUse {
  tool: string
  inputHash: string
  /** The actor making the call: it must be the requester. */
  actor: Actor
  /** The workflow run and step making the call, if any: it must be the one that asked. */
  workflow?: { run_id: string; step: string } | undefined
  /** Whether policy, now, accepts a client-attested approval for this call. */
  clientAttestation?: boolean
  /** How the caller's actor was established (`GateOptions.identity`), for the records a use writes. */
  identity?: Partial<Identity>
  /** The call's trace id: a workflow call with the trace that used an approval may use it again. */
  traceId?: string
  /** How many people policy, now, asks to approve this call: a grant with fewer is not enough. */
  approvalsRequired?: number
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
  /** Shortens the request's life (a workflow step's timeout); never lengthens it past approvals.ttl_ms. */
  ttlMs?: number
  workflow?: { run_id: string; step: string }
  /** How the requester was established: an MCP client's request is its client's, across sessions. */
  identity?: Partial<Identity>
}

function actorKey(actor: Actor): string {
  return `${actor.type}:${actor.id}`
}

/** What a request records of an MCP requester: its client's name and the serving process's uid. */
function mcpRequester(
  actor: Actor,
  identity: Partial<Identity> | undefined,
): ApprovalRequest['requester_mcp'] {
  const client = identity?.mcp?.client
  if (actor.type !== 'agent' || typeof client !== 'string' || client === '') return undefined
  const uid = process.getuid?.()
  return { client, ...(uid === undefined ? {} : { uid }) }
}

/**
 * Whether `actor` (with how it was established) is the request's requester. The same actor is;
 * so is the same MCP client in another session: an MCP actor is `agent:<client>/<session>`,
 * and a client restarted (Claude Desktop, the Inspector) gets a new session, so the session
 * part is left aside when the request was an MCP client's and this call is too, with the same
 * client name and actor prefix, served by a process of the same uid. Another client, an actor
 * of another type or name, or a caller that is not an MCP session (a CLI claiming the actor id)
 * is not.
 */
export function sameRequester(r: ApprovalRequest, actor: Actor, identity?: Partial<Identity>): boolean {
  if (actorKey(r.requester) === actorKey(actor)) return true
  const mcp = r.requester_mcp
  const now = mcpRequester(actor, identity)
  if (!mcp || !now || r.requester.type !== 'agent') return false
  // The actor id up to its session: `claude-code` of `claude-code/3f9a0c1d`.
  const client = (id: string) => (id.lastIndexOf('/') > 0 ? id.slice(0, id.lastIndexOf('/')) : undefined)
  return (
    now.client === mcp.client &&
    now.uid === mcp.uid &&
    client(r.requester.id) !== undefined &&
    client(r.requester.id) === client(actor.id)
  )
}

/** Reads one approval without the machinery to change it (for status polling). */
export async function readApproval(stateDir: string, id: string): Promise<ApprovalRequest> {
  return readFrom(new ApprovalStore(stateDir), id)
}

async function readFrom(store: ApprovalStore, id: string): Promise<ApprovalRequest> {
  const stored = await store.get(id)
  if (!stored) throw notFound(id)
  return withExpiry(stored.request, new Date())
}

/**
 * Pending human decisions. An approval is bound to one tool and the hash of one exact input, to
 * its requester (and workflow run and step), and to the config hash and environment it was
 * asked under; it is used at most once, expires, and can be granted only by a person (an actor
 * of type `human`) other than the requester who matches the rule's approvers, if it names any.
 * The grant is its `approval.approved` audit record: the state file is a copy, checked against
 * that record when the approval is used.
 */
export class Approvals {
  private readonly store: ApprovalStore

  constructor(
    stateDir: string,
    private readonly options: {
      ttlMs: number
      audit: AuditLog
      configHash: string
      environment: string
      /** allowed_signers and whether signatures are required; without it nothing is signed. */
      approvers?: Approvers
      /** How far the journal grows before it is compacted into the view (store.ts). */
      compactBytes?: number
    },
  ) {
    this.store = new ApprovalStore(stateDir, {
      ...(options.compactBytes === undefined ? {} : { compactBytes: options.compactBytes }),
    })
  }

  /** The journal every change is appended to (state/approvals.jsonl). */
  get file(): string {
    return this.store.journal
  }

  async request(args: {
    tool: string
    inputHash: string
    input: unknown
    /** The whole input, redacted; kept when `input` cannot be. */
    inputRedacted?: unknown
    inputSummary: string
    /** What the call would do, in the tool's words (ToolDefinition.preview). */
    preview?: string
    requester: Actor
    decision: PolicyDecision
    traceId: string
    workflow?: { run_id: string; step: string }
    /** How the requester was established, for the `approval.requested` record. */
    identity?: Partial<Identity>
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
        ...(args.preview === undefined ? {} : { preview: args.preview }),
        requester: args.requester,
        ...(mcpRequester(args.requester, args.identity)
          ? { requester_mcp: mcpRequester(args.requester, args.identity)! }
          : {}),
        rule_ids: args.decision.rule_ids,
        deciding_rule: args.decision.deciding_rule,
        reason: args.decision.reason,
        ...(args.decision.approvers ? { approvers: args.decision.approvers } : {}),
        ...(args.decision.client_attestation ? { client_attestation: true as const } : {}),
        ...(args.decision.self_approval ? { self_approval: true as const } : {}),
        ...((args.decision.approvals_required ?? 1) > 1
          ? { approvals_required: args.decision.approvals_required!, approved_by: [] }
          : {}),
        trace_id: args.traceId,
        ...(args.workflow ? { workflow: args.workflow } : {}),
      },
      this.options.ttlMs,
      args.identity,
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
        ...(mcpRequester(args.requester, args.identity)
          ? { requester_mcp: mcpRequester(args.requester, args.identity)! }
          : {}),
        trace_id: args.traceId,
        ...(args.workflow ? { workflow: args.workflow } : {}),
      },
      // The requester may ask for less time, never for more than the project allows.
      Math.min(args.ttlMs ?? this.options.ttlMs, this.options.ttlMs),
      args.identity,
    )
  }

  // One pending request per subject, input, requester, run and setting: asking again returns it.
  private async create(
    fields: Omit<
      ApprovalRequest,
      'id' | 'status' | 'created_at' | 'expires_at' | 'config_hash' | 'environment'
    >,
    ttlMs: number,
    identity?: Partial<Identity>,
  ): Promise<ApprovalRequest> {
    const now = new Date()
    const { configHash, environment } = this.options
    const { created, request } = await this.store.update((tx) => {
      const existing = tx
        .open()
        .find(
          (r) =>
            r.status === 'pending' &&
            r.tool === fields.tool &&
            r.input_hash === fields.input_hash &&
            sameRequester(r, fields.requester, identity) &&
            r.config_hash === configHash &&
            r.environment === environment &&
            r.workflow?.run_id === fields.workflow?.run_id &&
            r.workflow?.step === fields.workflow?.step &&
            r.client_attestation === fields.client_attestation &&
            r.self_approval === fields.self_approval &&
            r.approvals_required === fields.approvals_required &&
            Date.parse(r.expires_at) > now.getTime(),
        )
      if (existing) return { created: false, request: structuredClone(existing) }
      const request: ApprovalRequest = {
        id: `apr_${randomBytes(6).toString('hex')}`,
        ...fields,
        config_hash: configHash,
        environment,
        status: 'pending',
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + ttlMs).toISOString(),
      }
      tx.put(request)
      return { created: true, request }
    })
    if (created) {
      await this.options.audit.record({
        type: 'approval.requested',
        actor: fields.requester,
        ...(identity ? { identity } : {}),
        subject: request.id,
        trace_id: fields.trace_id,
        data: {
          tool: request.tool,
          input_hash: request.input_hash,
          rule_ids: request.rule_ids,
          reason: request.reason,
          expires_at: request.expires_at,
          config_hash: request.config_hash,
          environment: request.environment,
          ...(request.client_attestation ? { client_attestation: true } : {}),
          ...(request.self_approval ? { self_approval: true } : {}),
          ...(request.approvals_required ? { approvals_required: request.approvals_required } : {}),
          ...(request.workflow ? { workflow: request.workflow } : {}),
        },
      })
    }
    return request
  }

  // Through this manager's store: a run's waiting steps poll it, and it keeps the journal parsed.
  async get(id: string): Promise<ApprovalRequest> {
    return readFrom(this.store, id)
  }

  async list(status?: ApprovalStatus): Promise<ApprovalRequest[]> {
    const now = new Date()
    // Every pending or approved request is in the journal: those lists never read the view.
    const open = status === 'pending' || status === 'approved'
    return [...(open ? await this.store.open() : await this.store.all()).values()]
      .map((s) => withExpiry(s.request, now))
      .filter((r) => status === undefined || r.status === status)
      .sort((a, b) => a.created_at.localeCompare(b.created_at))
  }

  /**
   * A granted, unused approval for exactly this call outside any workflow run, by this requester
   * (or the same MCP client in an earlier session), under the config and environment in force:
   * what an MCP client repeating the call uses without naming it.
   */
  async findGranted(call: {
    tool: string
    inputHash: string
    actor: Actor
    identity?: Partial<Identity>
  }): Promise<string | undefined> {
    return (await this.list('approved')).find(
      (r) =>
        r.tool === call.tool &&
        r.input_hash === call.inputHash &&
        !r.workflow &&
        r.config_hash === this.options.configHash &&
        r.environment === this.options.environment &&
        sameRequester(r, call.actor, call.identity),
    )?.id
  }

  async pendingCount(): Promise<number> {
    return (await this.list('pending')).length
  }

  /**
   * A person's decision. Only an actor of type `human` approves (not `system:`, `ci:`,
   * `workflow:`, and never an agent); any of them but an agent may deny, which lets nothing run.
   *
   * Signed (`signed`, made by `signDecision` with the person's SSH key): the signature over
   * `approvalStatement` is verified against the allowed_signers in force, and the approver is
   * `human:<principal>`, whoever `approver` says. Once signing is required (allowed_signers
   * exists, or `approvals.require_signature`), a person's unsigned decision is refused.
   */
  async decide(
    id: string,
    approver: Actor,
    verdict: 'approved' | 'denied',
    comment?: string,
    signed?: SignedDecision,
  ): Promise<ApprovalRequest> {
    if (approver.type === 'agent') {
      throw new DriftcoreError('forbidden', `an agent (${approver.id}) cannot decide approval ${id}`, {
        hint: 'a person decides: driftcore approvals approve ' + id,
      })
    }
    comment = comment || undefined
    const signature = await this.verifySigned(id, verdict, comment, signed)
    const decider: Actor = signature ? { type: 'human', id: signature.principal } : approver
    if (
      !signature &&
      (verdict === 'approved' || approver.type === 'human') &&
      (await this.signingRequired())
    ) {
      throw new DriftcoreError(
        'forbidden',
        `approval ${id} must be signed: this project lists its approvers in .driftcore/allowed_signers, and an unsigned decision proves nobody made it`,
        { hint: SETUP_HINT, details: { approval_id: id } },
      )
    }
    if (verdict === 'approved' && decider.type !== 'human') {
      throw new DriftcoreError(
        'forbidden',
        `${actorKey(decider)} cannot approve ${id}: only a person (an actor of type human) approves`,
        { hint: 'a person approves it as themselves: driftcore approvals approve ' + id },
      )
    }
    return this.settle(id, verdict, comment, (r) => {
      if (signature && signature.statement !== approvalStatement(r, verdict, comment, signature.at)) {
        throw new DriftcoreError('conflict', `approval ${id} changed while it was being signed; sign again`)
      }
      if (actorKey(decider) === actorKey(r.requester) || decider.id === r.requester.id) {
        if (!(signature && r.self_approval)) {
          throw new DriftcoreError('forbidden', `${decider.id} requested ${id} and cannot decide it too`, {
            hint: r.self_approval
              ? 'policy lets you approve your own request only with a signature: set up your key (driftcore approvers add)'
              : 'ask another person to approve it (or, working alone, a policy rule with self_approval: allowed lets you approve your own, signed)',
          })
        }
      }
      for (const patterns of r.approvers ?? []) {
        if (
          !patterns.some((p) => picomatch.isMatch(decider.id, p) || picomatch.isMatch(actorKey(decider), p))
        ) {
          throw new DriftcoreError(
            'forbidden',
            `${actorKey(decider)} is not among the approvers for ${id}: ${patterns.join(', ')}`,
          )
        }
      }
      if (verdict === 'approved' && required(r) > 1) {
        const vote = voteOf(decider, signature?.at ?? new Date().toISOString(), comment, signature)
        this.addVote(r, vote)
        if ((r.approved_by ?? []).length < required(r)) return 'counted'
      }
      r.decided_by = decider
      if (signature) r.signature = signature
      return undefined
    })
  }

  // One more person's approval, refused when that person already approved it.
  private addVote(r: ApprovalRequest, vote: ApprovalVote): void {
    const votes = r.approved_by ?? []
    for (const earlier of votes) {
      const same = samePerson(earlier, vote)
      if (same) {
        const left = required(r) - votes.length
        throw new DriftcoreError(
          'conflict',
          `${vote.by.id} cannot approve ${r.id} again: ${earlier.by.id} already did (${same}); it needs ${left} more ${left === 1 ? 'person' : 'people'}`,
          {
            hint: vote.signature
              ? `another person approves it with their own key: driftcore approvals approve ${r.id}`
              : `another person approves it, signed with their own key once approvers are set up (driftcore approvers add), or from their own OS account or control-API token`,
            details: { approval_id: r.id, approvals: countText(r) },
          },
        )
      }
    }
    r.approved_by = [...votes, vote]
  }

  /** Whether a person's decision must be signed here (see `Approvers.signingRequired`). */
  async signingRequired(): Promise<boolean> {
    return this.options.approvers ? this.options.approvers.signingRequired() : false
  }

  // Checks a signed decision before the state file is locked (ssh-keygen takes a moment).
  private async verifySigned(
    id: string,
    verdict: 'approved' | 'denied',
    comment: string | undefined,
    signed: SignedDecision | undefined,
  ): Promise<ApprovalSignature | undefined> {
    if (!signed) return undefined
    const approvers = this.options.approvers
    if (!approvers)
      throw new DriftcoreError('unavailable', 'this project has no approvers to check a signature against')
    const request = (await this.store.get(id))?.request
    if (!request) throw notFound(id)
    assertFresh(signed.at)
    const statement = approvalStatement(request, verdict, comment, signed.at)
    const { principal, fingerprint } = await approvers.verify(statement, signed, APPROVAL_NAMESPACE)
    return {
      principal,
      fingerprint,
      namespace: APPROVAL_NAMESPACE,
      at: signed.at,
      signature: signed.signature,
      statement,
    }
  }

  /**
   * Records an MCP client's own answer to an elicitation. It is the client's word, not a
   * person's: the decider is the client's agent actor, the request says `via: mcp-elicitation`
   * and names the client, and it can approve only a request whose policy accepted that when it
   * was asked (the gate checks again, against the policy in force, when it is used).
   */
  async attest(
    id: string,
    attestation: ClientAttestation,
    verdict: 'approved' | 'denied',
    comment?: string,
  ): Promise<ApprovalRequest> {
    return this.settle(id, verdict, comment, (r) => {
      if (verdict === 'approved' && (!r.client_attestation || required(r) > 1)) {
        throw new DriftcoreError(
          'forbidden',
          `approval ${id} needs a person: policy does not accept the MCP client's answer for ${r.tool}`,
          { hint: `a person approves it with: driftcore approvals approve ${id}` },
        )
      }
      r.decided_by = attestation.by
      r.via = attestation.via
      r.client = attestation.client
      return undefined
    })
  }

  // Decides a pending request. Its audit record, which carries the grant's digest, is on disk
  // before the state file says so, so nobody reading `approved` can miss the record.
  private async settle(
    id: string,
    verdict: 'approved' | 'denied',
    comment: string | undefined,
    check: (request: ApprovalRequest) => 'counted' | undefined,
  ): Promise<ApprovalRequest> {
    return this.store.update(async (tx) => {
      const r = await tx.get(id)
      if (!r) throw notFound(id)
      const current = withExpiry(r, new Date())
      if (current.status !== 'pending') {
        throw new DriftcoreError('conflict', `approval ${id} is ${current.status}, not pending`)
      }
      if (check(r) === 'counted') {
        await this.recordVote(r)
        tx.put(r)
        return { ...r }
      }
      if (verdict === 'approved' && required(r) > 1)
        await this.checkEarlierVotes({ request: r, file: tx.fileOf(id) })
      r.status = verdict
      r.decided_at = new Date().toISOString()
      if (comment) r.comment = comment
      await this.options.audit.record({
        type: verdict === 'approved' ? 'approval.approved' : 'approval.denied',
        actor: r.decided_by!,
        ...(r.signature
          ? { identity: { key: { principal: r.signature.principal, fingerprint: r.signature.fingerprint } } }
          : {}),
        subject: id,
        trace_id: r.trace_id,
        data: {
          tool: r.tool,
          input_hash: r.input_hash,
          requester: r.requester,
          ...(r.via ? { via: r.via, client: r.client } : {}),
          ...(comment ? { comment } : {}),
          ...(r.signature ? { signature: r.signature } : {}),
          ...(r.approved_by && r.approved_by.length > 0
            ? { approvals: r.approved_by.map((v) => v.by), count: countText(r) }
            : {}),
          ...(verdict === 'approved' ? { digest: approvalDigest(r) } : {}),
        },
      })
      await this.options.audit.flush()
      tx.put(r)
      return { ...r }
    })
  }

  // A vote that does not complete the count yet: its own record, on disk before the state file
  // says so, signed like any decision.
  private async recordVote(r: ApprovalRequest): Promise<void> {
    const vote = r.approved_by!.at(-1)!
    await this.options.audit.record({
      type: COUNTED_TYPE,
      actor: vote.by,
      ...(vote.signature
        ? {
            identity: {
              key: { principal: vote.signature.principal, fingerprint: vote.signature.fingerprint },
            },
          }
        : {}),
      subject: r.id,
      trace_id: r.trace_id,
      data: {
        tool: r.tool,
        input_hash: r.input_hash,
        requester: r.requester,
        count: countText(r),
        required: required(r),
        ...(vote.comment ? { comment: vote.comment } : {}),
        ...(vote.signature ? { signature: vote.signature } : {}),
        digest: voteDigest(r, vote),
      },
    })
    await this.options.audit.flush()
  }

  /**
   * Before the last vote grants a request: the people must be distinct and none the requester,
   * and every earlier vote must be one recorded here for this very request. A vote written into
   * the state file, or copied from another request, has no `approval.counted` record with its
   * digest (and a copied signature is over another statement): an integrity error, audited.
   */
  private async checkEarlierVotes(stored: Stored): Promise<void> {
    const r = stored.request
    const decider = r.approved_by!.at(-1)!.by
    const forged = async (reason: string) =>
      this.refuse(
        stored,
        { tool: r.tool, inputHash: r.input_hash, actor: decider },
        reason,
        'it is not granted',
        {
          hint: 'someone edited the approvals state; run `driftcore audit verify`, and ask for the call again (a new request)',
        },
      )
    const problem = quorumProblem(r)
    if (problem) throw await forged(problem)
    for (const vote of r.approved_by!.slice(0, -1)) {
      const sig = vote.signature
      if (
        sig &&
        (sig.principal !== vote.by.id ||
          sig.statement !== approvalStatement(r, 'approved', vote.comment, sig.at))
      )
        throw await forged(
          `the signature of ${vote.by.id}'s approval is over another statement than this request`,
        )
      const evidence = await findApprovalEvidence(this.options.audit.dir, r, {
        type: COUNTED_TYPE,
        digest: voteDigest(r, vote),
      })
      if (!evidence.found)
        throw await forged(`${vote.by.id}'s approval was not given here: ${evidence.reason}`)
    }
  }

  /**
   * Withdraws a request nobody needs any more (its workflow run was cancelled), so nobody
   * approves it for nothing and a grant is never used later. Pending and approved-but-unused
   * requests become `withdrawn`; one already denied, used or expired is left as it is.
   */
  async withdraw(id: string, by: Actor, reason: string): Promise<ApprovalRequest> {
    let changed = false
    const request = await this.store.update(async (tx) => {
      const r = await tx.get(id)
      if (!r) throw notFound(id)
      const current = withExpiry(r, new Date())
      if (current.status !== 'pending' && current.status !== 'approved') return current
      changed = true
      r.status = 'withdrawn'
      r.withdrawn = { by, at: new Date().toISOString(), reason }
      tx.put(r)
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

  /**
   * Marks an approval used for exactly this call; refuses anything else. The grant must be in
   * the audit log (`approval.approved` with its digest): one the state file claims without it is
   * forged, an integrity error that is itself audited.
   */
  async consume(id: string, use: ApprovalUse): Promise<ApprovalRequest> {
    return (await this.claim(id, use)).commit()
  }

  /**
   * Checks that an approval may be used for exactly this call (as `consume` does: binding,
   * audit evidence, signature) without using it yet; `commit` then marks it used, checking
   * again under the lock that nobody used it meanwhile. The gate commits when the handler
   * starts changing things, so a call that fails before that keeps its approval.
   */
  async claim(
    id: string,
    use: ApprovalUse,
  ): Promise<{ approval: ApprovalRequest; commit: () => Promise<ApprovalRequest> }> {
    const stored = await this.store.get(id)
    if (!stored) throw notFound(id)
    const found = stored.request
    this.check(withExpiry(found, new Date()), use)
    // Read outside the lock: the log is searched once, and the record it needs is never removed.
    const evidence = await findApprovalEvidence(this.options.audit.dir, found)
    if (!evidence.found) {
      throw await this.refuse(stored, use, evidence.reason, 'it was not granted here', {
        hint: 'someone edited the state file; run `driftcore audit verify`, and ask a person to approve again',
      })
    }
    const unsigned = await this.signatureProblem(found)
    if (unsigned) {
      throw await this.refuse(stored, use, unsigned.reason, 'it is not honoured', { hint: unsigned.hint })
    }
    const used = await findApprovalUse(this.options.audit.dir, found)
    if (used?.broken) {
      throw await this.refuse(stored, use, used.broken, 'its use cannot be told from a forgery', {
        hint: 'someone edited the audit log; run `driftcore audit verify`, and ask a person to approve a new request',
      })
    }
    if (used && !(use.workflow !== undefined && use.traceId !== undefined && used.trace === use.traceId)) {
      throw await this.refuse(
        stored,
        use,
        `the audit log records its use (${USED_TYPE} at seq ${used.seq})`,
        'it was used already',
        {
          hint: 'someone put a used approval back in the state file; run `driftcore audit verify`, and ask a person to approve a new request',
        },
      )
    }
    const commit = () =>
      this.store.update(async (tx) => {
        const r = await tx.get(id)
        if (!r) throw notFound(id)
        // Again under the lock: another call may have used it meanwhile, or the file changed.
        this.check(withExpiry(r, new Date()), use)
        if (approvalDigest(r) !== approvalDigest(found)) {
          throw new DriftcoreError('conflict', `approval ${id} changed while it was being used; try again`)
        }
        if (r.status !== 'used') {
          // On disk before the state says so: the state alone can be put back, the log cannot.
          await this.options.audit.record({
            type: USED_TYPE,
            actor: use.actor,
            ...(use.identity ? { identity: use.identity } : {}),
            subject: id,
            trace_id: r.trace_id,
            data: {
              digest: approvalDigest(r),
              tool: r.tool,
              input_hash: r.input_hash,
              trace: use.traceId ?? null,
              ...(use.workflow ?? {}),
            },
          })
          await this.options.audit.flush()
          r.status = 'used'
          r.used_at = new Date().toISOString()
          if (use.traceId) r.used_trace = use.traceId
          tx.put(r)
        }
        return { ...r }
      })
    return { approval: { ...found }, commit }
  }

  /**
   * Why a granted approval's signature does not hold now, if it does not: checked again at every
   * use against the allowed_signers in force, so a key removed since, a state file given
   * someone else's signature, or an unsigned grant where signing is required is never honoured.
   */
  private async signatureProblem(r: ApprovalRequest): Promise<{ reason: string; hint: string } | undefined> {
    const hint = 'ask a person to approve a new request with their key: driftcore approvals approve ID'
    const several = required(r) > 1
    if (several) {
      const problem = quorumProblem(r)
      if (problem)
        return {
          reason: problem,
          hint: 'ask for the call again: a new request, approved by different people',
        }
    }
    const approvers = this.options.approvers
    if (!approvers) return undefined
    const state = await approvers.state()
    if (state.problem) {
      return {
        reason: state.problem,
        hint: "the approvers file was changed behind driftcore's back; restore it and run `driftcore audit verify`",
      }
    }
    // Each person's decision: the one that granted it, or every vote of a request for several.
    const decisions = several
      ? r.approved_by!.map((v) => ({ by: v.by, comment: v.comment, sig: v.signature }))
      : [{ by: r.decided_by, comment: r.comment, sig: r.signature }]
    for (const { by, comment, sig } of decisions) {
      if (!sig) {
        if (r.via === 'mcp-elicitation' || !(await approvers.signingRequired(state))) continue
        return {
          reason: `it is not signed, and this project requires signed approvals (${approvers.file})`,
          hint: 'a person approves a new request with their key: driftcore approvals approve ID',
        }
      }
      if (sig.statement !== approvalStatement(r, 'approved', comment, sig.at)) {
        return { reason: 'its signature is over another statement than this approval', hint }
      }
      if (by?.type !== 'human' || by.id !== sig.principal) {
        return { reason: `it says ${by?.id ?? 'nobody'} decided it, but ${sig.principal} signed`, hint }
      }
      try {
        const verified = await approvers.verify(sig.statement, sig, APPROVAL_NAMESPACE)
        if (verified.principal !== sig.principal || verified.fingerprint !== sig.fingerprint) {
          return {
            reason: `its signature is by ${verified.principal} (${verified.fingerprint}), not ${sig.principal}`,
            hint,
          }
        }
      } catch (error) {
        if (!(error instanceof DriftcoreError) || error.code !== 'integrity') throw error
        return { reason: `its signature does not verify against ${approvers.file}: ${error.message}`, hint }
      }
    }
    return undefined
  }

  // An approval that must not be honoured: recorded as forged if the log takes it (a log that
  // refuses records, edited too, must not hide which file was forged), then an integrity error.
  private async refuse(
    { request: found, file }: Stored,
    use: ApprovalUse,
    reason: string,
    verdict: string,
    { hint }: { hint: string },
  ): Promise<DriftcoreError> {
    const id = found.id
    let unrecorded: string | undefined
    try {
      await this.options.audit.record({
        type: FORGED_TYPE,
        actor: use.actor,
        ...(use.identity ? { identity: use.identity } : {}),
        subject: id,
        trace_id: found.trace_id,
        data: {
          file,
          tool: found.tool,
          input_hash: found.input_hash,
          status: found.status,
          ...(found.decided_by ? { decided_by: found.decided_by } : {}),
          ...(found.signature
            ? {
                signed_by: { principal: found.signature.principal, fingerprint: found.signature.fingerprint },
              }
            : {}),
          reason,
        },
      })
      await this.options.audit.flush()
    } catch (error) {
      unrecorded = (error as Error).message
    }
    return new DriftcoreError(
      'integrity',
      `approval ${id} in ${file} says ${found.status}, but ${reason}: ${verdict}`,
      {
        hint: hint + (unrecorded ? ` (the audit log refused to record this too: ${unrecorded})` : ''),
        details: { approval_id: id, file },
      },
    )
  }

  private check(r: ApprovalRequest, use: ApprovalUse): void {
    const id = r.id
    // The retry of the very workflow attempt that used it, interrupted by a crash before it
    // could record its outcome: the same call (same trace, bound to the same run and step).
    const retryOfUse =
      r.status === 'used' &&
      use.workflow !== undefined &&
      use.traceId !== undefined &&
      r.used_trace === use.traceId
    if (r.status !== 'approved' && !retryOfUse) {
      const count = r.status === 'pending' && required(r) > 1 ? `: ${countText(r)} approvals given` : ''
      throw new DriftcoreError(
        r.status === 'pending' ? 'approval_required' : 'forbidden',
        `approval ${id} is ${r.status}${count}`,
        {
          details: { approval_id: id, status: r.status },
        },
      )
    }
    const refuse = (message: string, hint: string) =>
      new DriftcoreError('forbidden', message, { hint, details: { approval_id: id } })
    if (r.tool !== use.tool || r.input_hash !== use.inputHash) {
      throw refuse(
        `approval ${id} was granted for ${r.tool} with a different input`,
        'an approval is bound to the exact input it was requested for',
      )
    }
    if (!sameRequester(r, use.actor, use.identity)) {
      throw refuse(
        `approval ${id} was granted to ${actorKey(r.requester)}, not ${actorKey(use.actor)}`,
        'only the requester uses its approval; ask for your own',
      )
    }
    const where = (w: { run_id: string; step: string } | undefined) =>
      w ? `workflow run ${w.run_id} step ${w.step}` : 'a call outside any workflow run'
    if (r.workflow?.run_id !== use.workflow?.run_id || r.workflow?.step !== use.workflow?.step) {
      throw refuse(
        `approval ${id} was granted for ${where(r.workflow)}, not ${where(use.workflow)}`,
        r.workflow
          ? `continue the run with: driftcore workflow resume ${r.workflow.run_id}`
          : 'ask for a new approval',
      )
    }
    if (r.environment !== this.options.environment) {
      throw refuse(
        `approval ${id} was asked in environment ${r.environment ?? '(unknown)'}, not ${this.options.environment}`,
        'an approval is used only in the environment it was asked in',
      )
    }
    if (r.config_hash !== this.options.configHash) {
      throw refuse(
        `approval ${id} was asked under another effective config (hash ${short(r.config_hash)}, now ${short(this.options.configHash)})`,
        'an approval is used only under the config it was asked under: same config files, -c flags and DRIFTCORE_* variables',
      )
    }
    if ((use.approvalsRequired ?? 1) > required(r)) {
      throw refuse(
        `approval ${id} was granted by ${required(r)} ${required(r) === 1 ? 'person' : 'people'}, and policy now asks ${use.approvalsRequired} people to approve ${r.tool}`,
        'ask for a new approval',
      )
    }
    if (r.via === 'mcp-elicitation' && !use.clientAttestation) {
      throw refuse(
        `approval ${id} is the MCP client ${r.client ?? ''}'s word, and policy does not accept a client's answer for ${r.tool} now`,
        `a person approves a new request with: driftcore approvals approve`,
      )
    }
  }
}

function short(hash: string | undefined): string {
  return hash ? hash.slice(0, 12) : '(unknown)'
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
