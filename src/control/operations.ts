import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { ApprovalRequest, ApprovalStatus } from '../approvals/approvals.js'
import { auditApprovalEvidence } from '../approvals/evidence.js'
import { APPROVAL_NAMESPACE, approvalStatement } from '../approvals/statement.js'
import { verifyProjectAudit } from '../audit/project-audit.js'
import { queryAudit, tailAudit, type AuditQuery } from '../audit/query.js'
import type { Actor, AuditRecord, Identity } from '../audit/record.js'
import type { ToolInfo } from '../policy/shadow.js'
import { buildRequest } from '../cli/policy-request.js'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { auditSignatures } from '../identity/audit-signatures.js'
import type { Kernel } from '../kernel/open.js'
import type { JournalEvent } from '../workflow/journal/events.js'
import type { RunState } from '../workflow/journal/state.js'

/**
 * What the control API does, one function per operation, each the same code a local command
 * runs, so `--server` prints what the local command prints. `who` is the person the request's
 * token names; `identity` goes into every record the operation writes.
 */
export interface Caller {
  who: Actor
  identity: Partial<Identity>
}

export const APPROVAL_STATUSES = ['pending', 'approved', 'denied', 'used', 'expired', 'withdrawn'] as const

export async function listApprovals(kernel: Kernel, status: string | undefined): Promise<ApprovalRequest[]> {
  if (status !== undefined && status !== 'all' && !(APPROVAL_STATUSES as readonly string[]).includes(status))
    throw new DriftcoreError(
      'invalid_input',
      `status "${status}" is not one of ${APPROVAL_STATUSES.join(', ')}, all`,
    )
  return kernel.approvals.list(
    status === 'all' || status === undefined ? undefined : (status as ApprovalStatus),
  )
}

export interface DecisionBody {
  verdict: 'approved' | 'denied'
  comment?: string
  /** The signed decision (`signDecision` on the person's machine): when, and the SSH signature. */
  at?: string
  signature?: string
}

export async function decideApproval(
  kernel: Kernel,
  id: string,
  body: DecisionBody,
  caller: Caller,
): Promise<{ approval: ApprovalRequest }> {
  if (body.verdict !== 'approved' && body.verdict !== 'denied')
    throw new DriftcoreError('invalid_input', 'verdict must be "approved" or "denied"')
  if ((body.at === undefined) !== (body.signature === undefined))
    throw new DriftcoreError('invalid_input', 'a signed decision needs both `at` and `signature`')
  const comment = body.comment || undefined
  if (body.at === undefined || body.signature === undefined) {
    // Unsigned: the token's person, where the project does not require signatures (decide says).
    return { approval: await kernel.approvals.decide(id, caller.who, body.verdict, comment) }
  }
  const signed = { at: body.at, signature: body.signature }
  // The key and the token must name the same person: a token is not a licence to present
  // someone else's signature, and the audit log should never show two people for one decision.
  const request = await kernel.approvals.get(id)
  const { principal } = await kernel.approvers.verify(
    approvalStatement(request, body.verdict, comment, signed.at),
    signed,
    APPROVAL_NAMESPACE,
  )
  if (principal !== caller.who.id) {
    throw new DriftcoreError(
      'forbidden',
      `the decision on ${id} is signed by ${principal}'s key, but the request came with ${caller.who.id}'s token`,
      { hint: 'each person uses their own token and their own key (name the token after their principal)' },
    )
  }
  return { approval: await kernel.approvals.decide(id, caller.who, body.verdict, comment, signed) }
}

async function workflows(kernel: Kernel, caller: Caller) {
  const { WorkflowService } = await import('../workflow/service.js')
  return new WorkflowService(kernel, { actor: caller.who })
}

export async function listRuns(kernel: Kernel, caller: Caller) {
  return (await workflows(kernel, caller)).list()
}

export async function runStatus(kernel: Kernel, runId: string, caller: Caller) {
  const { state, workflow, owner } = await (await workflows(kernel, caller)).status(runId)
  return { status: { ...state, ...(owner ? { owner } : {}) }, order: [...workflow.order] }
}

export async function cancelRun(kernel: Kernel, runId: string, reason: string, caller: Caller) {
  const { state } = await (await workflows(kernel, caller)).cancel(runId, reason)
  return { run_id: state.run_id, status: state.status, summary: state.summary }
}

/**
 * Resumes a run in the server's process and answers once it has stopped (finished, or
 * suspended on an approval): the events it journaled meanwhile, and its state.
 */
export async function resumeRun(
  kernel: Kernel,
  runId: string,
  caller: Caller,
): Promise<{ events: JournalEvent[]; state: RunState; order: string[] }> {
  const service = await workflows(kernel, caller)
  const { workflow } = await service.status(runId)
  const events: JournalEvent[] = []
  const { state } = await service.resume(runId, { onEvent: (event) => events.push(event) })
  return { events, state, order: [...workflow.order] }
}

export async function tail(kernel: Kernel, lines: number): Promise<AuditRecord[]> {
  await kernel.audit.flush()
  return tailAudit(kernel.paths.audit, lines)
}

export async function query(kernel: Kernel, filter: AuditQuery, limit?: number): Promise<AuditRecord[]> {
  await kernel.audit.flush()
  return queryAudit(kernel.paths.audit, filter, limit)
}

/** A checkpoint file sent by a client whose `--anchor` names a file on its machine. */
export interface AnchorFile {
  name: string
  text: string
}

/**
 * `audit verify`: the chain, its checkpoints and anchors, every granted approval's record and
 * every approval signature. `allowedSigners` is a file kept out of the agent's reach (a path
 * locally, its text from a client) to check checkpoints signed with people's keys.
 */
export async function verify(
  kernel: Pick<Kernel, 'audit' | 'paths' | 'config' | 'approvers'>,
  anchors: readonly (string | AnchorFile)[] = [],
  allowedSigners?: string | AnchorFile,
) {
  // Records this process made while opening (a policy publish) are part of the chain to check.
  await kernel.audit.flush()
  const { paths } = kernel
  const sent = [
    ...anchors.filter((a): a is AnchorFile => typeof a !== 'string'),
    ...(typeof allowedSigners === 'object' ? [allowedSigners] : []),
  ]
  return withTempFiles(sent, async (files) => {
    const signersFile = typeof allowedSigners === 'object' ? files.pop() : allowedSigners
    const all = [...anchors.filter((a): a is string => typeof a === 'string'), ...files]
    const chain = await verifyProjectAudit(paths, kernel.config.values.audit, all, signersFile)
    const approvals = await auditApprovalEvidence(paths.state, paths.audit)
    const signatures = await auditSignatures(paths.audit, kernel.approvers)
    return {
      ...chain,
      ok: chain.ok && approvals.problems.length === 0 && signatures.problems.length === 0,
      approvals,
      signatures,
    }
  })
}

export interface PolicyQuestion {
  tool: string
  /** The input, already parsed (the client reads `--input` files and stdin). */
  input?: unknown
  actor?: string
  env?: string
  risk?: string
  capability?: string
  /** A draft bundle from the client's machine. */
  bundle?: AnchorFile
}

/** `bundleFile`: a local command's draft bundle, read where it is (errors name that file). */
export async function simulate(
  kernel: Kernel,
  question: PolicyQuestion,
  caller: Caller,
  bundleFile?: string,
) {
  return decideWith(
    kernel,
    question,
    caller,
    (policy, request) => {
      const { decision, rules } = policy.explain(request)
      const matched = rules
        .filter((r) => r.matched)
        .map(({ id, bundle, decision: d, outcome, why }) => ({ id, bundle, decision: d, outcome, why }))
        .filter((r) => r.outcome !== 'not_matched')
      return { ...decision, matched, warnings: policy.shadowed(toolCatalog(kernel, request)) }
    },
    bundleFile,
  )
}

export async function explain(kernel: Kernel, question: PolicyQuestion, caller: Caller, bundleFile?: string) {
  return decideWith(
    kernel,
    question,
    caller,
    (policy, request) => ({
      ...policy.explain(request),
      warnings: policy.shadowed(toolCatalog(kernel, request)),
    }),
    bundleFile,
  )
}

// The installed tools (and the hypothetical one asked about), for finding ALLOW rules that can
// never decide.
function toolCatalog(kernel: Kernel, request: Awaited<ReturnType<typeof buildRequest>>): ToolInfo[] {
  const tools: ToolInfo[] = kernel.registry
    .tools()
    .map((t) => ({ id: t.id, capability: t.capability, risk_tags: t.risk }))
  if (!tools.some((t) => t.id === request.tool.id)) tools.push(request.tool)
  return tools
}

async function decideWith<T>(
  kernel: Kernel,
  question: PolicyQuestion,
  caller: Caller,
  ask: (
    policy: ReturnType<Kernel['policy']>['compiled'],
    request: Awaited<ReturnType<typeof buildRequest>>,
  ) => T,
  bundleFile?: string,
): Promise<T> {
  const { input, bundle, ...flags } = question
  const request = await buildRequest(kernel, flags, caller.who)
  if (input !== undefined) request.input = input
  if (bundleFile !== undefined) return ask(await kernel.policyStore.draft(bundleFile), request)
  if (!bundle) return ask(kernel.policy().compiled, request)
  return withTempFiles([bundle], async ([file]) => ask(await kernel.policyStore.draft(file!), request))
}

// Files a client sent are read by name (its base name, in a folder of the server's own).
async function withTempFiles<T>(
  files: readonly AnchorFile[],
  use: (paths: string[]) => Promise<T>,
): Promise<T> {
  if (files.length === 0) return use([])
  const dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-control-'))
  try {
    const paths = await Promise.all(
      files.map(async (f, i) => {
        const file = path.join(dir, String(i), path.basename(f.name) || 'file')
        await mkdir(path.dirname(file))
        await writeFile(file, f.text, { mode: 0o600 })
        return file
      }),
    )
    return await use(paths)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
