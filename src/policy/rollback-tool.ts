import { z } from 'zod'
import { hostOf } from '../kernel/host.js'
import type { ToolDefinition } from '../registry/types.js'

/**
 * `driftcore policy rollback` as a tool: which rules are in force is decided by policy too. The
 * shipped default lets a person roll back and denies everyone else, approval or not. The
 * snapshot is verified (hash, and signatures under the trusted keys in force now) before it
 * is pinned.
 */
export const policyRollbackTool: ToolDefinition = {
  id: 'policy.rollback',
  title: 'Roll policy back to an earlier snapshot',
  description:
    'Makes an earlier policy snapshot current and pins it until the next `policy publish`. The snapshot must verify under the trusted keys in force now.',
  capability: 'policy.write',
  risk: ['write'],
  idempotent: true,
  // It touches driftcore's own records only (snapshots, the index, the audit log).
  inProcess: { paths: () => [], bounded: true },
  input: () =>
    z.object({
      to: z
        .number()
        .int()
        .positive()
        .optional()
        .describe('snapshot version (default: the one before the current)'),
    }),
  output: () =>
    z.object({
      version: z.number(),
      hash: z.string(),
      from: z.number().nullable(),
      pinned: z.literal(true),
    }),
  async run(input: { to?: number }, ctx) {
    return { ...(await hostOf(ctx).rollbackPolicy(ctx.actor, input.to)), pinned: true as const }
  },
}
