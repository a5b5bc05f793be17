import { z } from 'zod'
import { readApproval } from '../approvals/approvals.js'
import { configSetTool } from '../config/set-tool.js'
import { hostOf, type WorkflowDecisionInput } from '../kernel/host.js'
import { approversAddTool, approversRemoveTool } from '../identity/approvers-tool.js'
import { policyRollbackTool } from '../policy/rollback-tool.js'
import { notifyTool } from '../workflow/tools/notify.js'
import { poolExecTool } from '../workflow/tools/pool-exec.js'
import { defineTool } from './define.js'
import type { Capabilities, ToolDefinition } from './types.js'

const decisionSchema = z.lazy(() =>
  z.object({
    decision: z.enum(['ALLOW', 'ALLOW_WITH_CONSTRAINTS', 'REQUIRE_APPROVAL', 'DENY']),
    rule_ids: z.array(z.string()),
    deciding_rule: z.string().nullable(),
    reason: z.string(),
    constraints: z.record(z.string(), z.unknown()),
    approvers: z.array(z.array(z.string())).optional(),
    approvals_required: z.number().optional(),
    snapshot: z.object({ version: z.number(), hash: z.string() }),
  }),
)

const auditVerify: ToolDefinition = {
  id: 'audit.verify',
  title: 'Verify the audit log',
  description:
    "Checks the hash chain of the audit log end to end and against the project's signed checkpoints, every approval the state file says was granted, and every approval signature, as `driftcore audit verify` does; reports the first bad record and each bad approval.",
  capability: 'audit.read',
  risk: ['read'],
  // It reads driftcore's own records only, but hashes the whole log in-process: not bounded.
  inProcess: { paths: () => [] },
  input: () => z.object({}),
  output: () =>
    z.object({
      ok: z.boolean(),
      records: z.number(),
      segments: z.number(),
      last_hash: z.string(),
      checkpoints: z.number().optional(),
      problem: z
        .object({ segment: z.string(), line: z.number(), seq: z.number().optional(), message: z.string() })
        .optional(),
      approval_problems: z.array(z.string()),
    }),
  verdict: (r: {
    ok: boolean
    records: number
    problem?: { segment: string; line: number; message: string }
    approval_problems: string[]
  }) =>
    r.ok
      ? { ok: true, summary: `the audit log verifies: ${r.records} records` }
      : {
          ok: false,
          summary: `the audit log does not verify: ${[
            r.problem ? `${r.problem.segment}:${r.problem.line}: ${r.problem.message}` : '',
            ...r.approval_problems.slice(0, 3),
          ]
            .filter(Boolean)
            .join('; ')}`,
        },
  async run(_input, ctx) {
    return hostOf(ctx).verifyAudit()
  },
}

const policySimulate: ToolDefinition = {
  id: 'policy.simulate',
  title: 'Simulate a policy decision',
  description:
    'Decides what policy would say about a tool call, without running or recording anything. Use it to check before acting.',
  capability: 'policy.read',
  risk: ['read'],
  inProcess: { paths: () => [], bounded: true },
  input: () =>
    z.object({
      tool: z.string().describe('the tool id to decide about'),
      input: z.unknown().optional().describe('the input the call would have'),
      actor: z
        .object({ type: z.string(), id: z.string() })
        .optional()
        .describe('who would call it (default: the caller)'),
      environment: z.string().optional(),
    }),
  output: () => decisionSchema,
  async run(
    input: { tool: string; input?: unknown; actor?: { type: string; id: string }; environment?: string },
    ctx,
  ) {
    return ctx.policy.simulate({
      tool: input.tool,
      input: input.input ?? {},
      actor: input.actor ?? ctx.actor,
      ...(input.environment ? { environment: input.environment } : {}),
    })
  },
}

const configEffective: ToolDefinition = {
  id: 'config.effective',
  title: 'Show the effective configuration',
  description:
    'The merged configuration in force, with its format version and hash; secrets appear only as references.',
  capability: 'config.read',
  risk: ['read'],
  inProcess: { paths: () => [], bounded: true },
  input: () => z.object({}),
  output: () =>
    z.object({ values: z.record(z.string(), z.unknown()), version: z.number(), hash: z.string() }),
  async run(_input, ctx) {
    return { values: { ...ctx.config }, version: ctx.configMeta.version, hash: ctx.configMeta.hash }
  },
}

const approvalStatus: ToolDefinition = {
  id: 'approvals.status',
  title: 'Poll an approval',
  description:
    'The status of an approval request (pending, approved, denied, used, expired). Agents use it to wait for a person; they cannot approve.',
  capability: 'approvals.read',
  risk: ['read'],
  inProcess: { paths: () => [], bounded: true },
  input: () => z.object({ id: z.string().regex(/^apr_[0-9a-f]+$/, 'approval ids look like apr_0123abcd') }),
  output: () =>
    z.object({
      id: z.string(),
      status: z.enum(['pending', 'approved', 'denied', 'used', 'expired', 'withdrawn']),
      tool: z.string(),
      expires_at: z.string(),
      decided_by: z.object({ type: z.string(), id: z.string() }).optional(),
      /** A request that needs several people: how many, and who approved so far. */
      approvals: z
        .object({
          required: z.number(),
          given: z.number(),
          by: z.array(z.object({ type: z.string(), id: z.string() })),
        })
        .optional(),
    }),
  async run(input: { id: string }, ctx) {
    const r = await readApproval(ctx.paths.state, input.id)
    return {
      id: r.id,
      status: r.status,
      tool: r.tool,
      expires_at: r.expires_at,
      ...(r.decided_by ? { decided_by: r.decided_by } : {}),
      ...((r.approvals_required ?? 1) > 1
        ? {
            approvals: {
              required: r.approvals_required!,
              given: r.approved_by?.length ?? 0,
              by: (r.approved_by ?? []).map((v) => v.by),
            },
          }
        : {}),
    }
  },
}

const approvalRequest: ToolDefinition = {
  id: 'approvals.request',
  title: 'Ask a person to approve a workflow step',
  description:
    "A workflow approval step run outside this process (a Tekton task): opens the step's decision request once for the caller (keyed by run, step and message) and reports its state (pending, approved, denied, expired, withdrawn). Call it again to wait. Only a person other than the caller can approve it (driftcore approvals approve ID).",
  capability: 'approvals.request',
  risk: ['write'],
  idempotent: true,
  inProcess: { paths: () => [], bounded: true },
  input: () =>
    z.strictObject({
      workflow: z.string().min(1).max(200),
      step: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a workflow step id'),
      run_id: z.string().min(1).max(200),
      message: z.string().min(1).max(4000),
      approvers: z.array(z.string().min(1)).optional(),
      ttl_ms: z.number().int().positive().optional(),
    }),
  output: () =>
    z.object({
      id: z.string(),
      status: z.enum(['pending', 'approved', 'denied', 'expired', 'withdrawn']),
      expires_at: z.string(),
      decided_by: z.object({ type: z.string(), id: z.string() }).optional(),
      comment: z.string().optional(),
    }),
  async run(input: WorkflowDecisionInput, ctx) {
    return hostOf(ctx).workflowDecision(input, ctx.actor, ctx.traceId)
  },
}

// defineTool ties each handler to its id, as for a plugin's tools: no plugin can re-export one.
export const coreCapabilities: Capabilities = Object.freeze({
  tools: Object.freeze(
    [
      auditVerify,
      policySimulate,
      configEffective,
      configSetTool,
      policyRollbackTool,
      approversAddTool,
      approversRemoveTool,
      approvalStatus,
      approvalRequest,
      notifyTool,
      poolExecTool,
    ].map((tool) => defineTool(tool)),
  ) as ToolDefinition[],
})

/** The host's own `driftcore:capabilities` hook: its tools register like any plugin's. */
export default async function capabilities(): Promise<Capabilities> {
  return coreCapabilities
}
