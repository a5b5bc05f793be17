import type { ApprovalRequest } from '../approvals/approvals.js'
import type { Actor } from '../audit/record.js'
import { AuditFiles } from '../audit/open-files.js'
import { queryAudit } from '../audit/query.js'
import type { Kernel } from '../kernel/open.js'
import type { RunSummary } from '../workflow/runs/index.js'
import { WorkflowService } from '../workflow/service.js'

/** `driftcore status`: what a person needs to see first, read from the project's own state. */
export interface ProjectStatus {
  project: { root: string; home: string; name: string | null; environment: string }
  approvals: {
    pending: number
    requests: Pick<ApprovalRequest, 'id' | 'tool' | 'requester' | 'reason' | 'expires_at'>[]
  }
  runs: {
    suspended: StoppedRun[]
    failed: StoppedRun[]
    /** Runs whose process ended mid-run (no journal end): `workflow resume` continues them. */
    interrupted: StoppedRun[]
  }
  drift: {
    at: string
    actor: Actor
    outcome: string
    drift: boolean | null
    summary: Record<string, number> | null
  } | null
  policy: {
    version: number
    hash: string
    created_at: string
    pinned: boolean
    bundles: string[]
    /** Why the bundles on disk are not the ones in force, when they were refused. */
    refused: string | null
  }
  audit: { seq: number; hash: string; segment: string } | null
}

type StoppedRun = RunSummary & { interrupted?: true }

const FAILED = new Set(['failed', 'timed_out'])

export async function projectStatus(kernel: Kernel): Promise<ProjectStatus> {
  const v = kernel.config.values as { project?: { name?: string; environment?: string } }
  const pending = await kernel.approvals.list('pending')
  const runs = await new WorkflowService(kernel, { actor: { type: 'system', id: 'driftcore' } }).list()
  const active = kernel.policy()
  const { pinned } = await kernel.policyStore.pin()
  const checks = await queryAudit(kernel.paths.audit, { type: 'tool.call', subject: 'drift.check' })
  // The last check that ran says where the site stands; a failed attempt says nothing about drift.
  const last =
    checks.findLast((r) => (r.data as { outcome?: string } | undefined)?.outcome === 'ok') ?? checks.at(-1)
  await kernel.audit.flush()
  const files = new AuditFiles(kernel.paths.audit)
  const head = files.readHead()
  await files.release()
  return {
    project: {
      root: kernel.paths.root,
      home: kernel.paths.home,
      name: v.project?.name ?? null,
      environment: v.project?.environment ?? 'dev',
    },
    approvals: {
      pending: pending.length,
      requests: pending.map(({ id, tool, requester, reason, expires_at }) => ({
        id,
        tool,
        requester,
        reason,
        expires_at,
      })),
    },
    runs: {
      suspended: runs.filter((r) => r.status === 'suspended'),
      failed: runs.filter((r) => FAILED.has(r.status)),
      interrupted: runs.filter((r) => r.interrupted === true),
    },
    drift: last ? driftOf(last) : null,
    policy: {
      version: active.snapshot.version,
      hash: active.snapshot.hash,
      created_at: active.snapshot.created_at,
      pinned,
      bundles: active.snapshot.bundles.map((b) => b.name),
      refused: active.refusal?.message ?? null,
    },
    audit: head ? { seq: head.seq, hash: head.hash, segment: head.segment } : null,
  }
}

function driftOf(record: { at: string; actor: Actor; data?: unknown }): NonNullable<ProjectStatus['drift']> {
  const data = (record.data ?? {}) as {
    outcome?: string
    result?: { inline?: { drift?: boolean; summary?: Record<string, number> } }
  }
  const inline = data.result?.inline
  return {
    at: record.at,
    actor: record.actor,
    outcome: data.outcome ?? 'unknown',
    drift: inline?.drift ?? null,
    summary: inline?.summary ?? null,
  }
}
