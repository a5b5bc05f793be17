import type { Actor } from '../audit/record.js'
import type { ConfigSetInput, ConfigSetResult } from '../config/set.js'
import type { ApproversChange, ApproversChangeResult } from '../identity/approvers.js'
import { DriftcoreError } from '../errors/driftcore-error.js'
import type { ToolContext } from '../registry/types.js'

/**
 * What the host's own governance tools (`config.set`, `policy.rollback`) need from the kernel.
 * The gate hands it to tools of the `driftcore` plugin only, so changing config or policy is
 * a tool call like any other (validated, decided by policy, approved, audited) while plugin
 * handlers never get a way to do it.
 */
export interface HostServices {
  setConfig(input: ConfigSetInput, actor: Actor): Promise<ConfigSetResult>
  changeApprovers(change: ApproversChange, actor: Actor): Promise<ApproversChangeResult>
  rollbackPolicy(
    actor: Actor,
    to: number | undefined,
  ): Promise<{ version: number; hash: string; from: number | null }>
  /**
   * A workflow approval step run elsewhere (a Tekton task): opens its decision request once,
   * keyed by run, step and message, for the calling actor, and reports its state; an approved
   * one is used here, as a local approval step uses it.
   */
  workflowDecision(input: WorkflowDecisionInput, actor: Actor, traceId: string): Promise<WorkflowDecision>
  /** The chain, the approvals the state file claims and every approval signature, as `audit verify` checks them. */
  verifyAudit(): Promise<AuditVerification>
}

export interface WorkflowDecisionInput {
  workflow: string
  step: string
  run_id: string
  message: string
  approvers?: string[]
  ttl_ms?: number
}

export interface WorkflowDecision {
  id: string
  status: 'pending' | 'approved' | 'denied' | 'expired' | 'withdrawn'
  expires_at: string
  decided_by?: Actor
  comment?: string
}

export interface AuditVerification {
  ok: boolean
  records: number
  segments: number
  last_hash: string
  checkpoints?: number
  problem?: { segment: string; line: number; seq?: number; message: string }
  /** Approvals the state file says were granted without their record, and signatures that do not hold. */
  approval_problems: string[]
}

/**
 * The tools that get HostServices. Their ids are under prefixes only the host may register
 * (CORE_CLAIMS), so no plugin can contribute a tool that receives them.
 */
export const HOST_TOOL_IDS: ReadonlySet<string> = new Set([
  'config.set',
  'policy.rollback',
  'approvers.add',
  'approvers.remove',
  'audit.verify',
  'approvals.request',
])

export type HostToolContext = ToolContext & { host?: HostServices }

export function hostOf(ctx: ToolContext): HostServices {
  const host = (ctx as HostToolContext).host
  if (!host) throw new DriftcoreError('internal', 'this tool runs only inside a driftcore kernel')
  return host
}
