import { z } from 'zod'
import { hostOf } from '../kernel/host.js'
import type { ToolDefinition } from '../registry/types.js'
import type { ApproversChange } from './approvers.js'

const signed = z
  .object({ at: z.string(), signature: z.string() })
  .optional()
  .describe(
    'the change signed by an approver already listed (approversStatement); not needed for the first one',
  )

const output = () =>
  z.object({
    action: z.enum(['add', 'remove']),
    name: z.string(),
    file: z.string(),
    hash: z.string(),
    old_hash: z.string().nullable(),
    fingerprint: z.string().optional(),
    signed_by: z.object({ principal: z.string(), fingerprint: z.string() }).optional(),
    bootstrap: z.boolean(),
  })

const common: Pick<ToolDefinition, 'capability' | 'risk' | 'inProcess' | 'output'> = {
  capability: 'approvers.write',
  risk: ['write'],
  // driftcore's own files only: allowed_signers and the audit log.
  inProcess: { paths: () => [], bounded: true },
  output,
}

/**
 * `driftcore approvers add|remove` as tools, so who may approve is changed like config: decided
 * by policy (the shipped default: people only), and recorded as `approvers.changed` with the
 * whole new file. The first approver is trusted on first use; after that a change must be
 * signed by an approver already listed.
 */
export const approversAddTool: ToolDefinition = {
  ...common,
  id: 'approvers.add',
  title: 'Add an approver key',
  description:
    'Adds a person (principal) and their SSH public key to .driftcore/allowed_signers. The first approver is trusted on first use; later changes are signed by an approver already listed.',
  input: () =>
    z.object({
      name: z.string().describe('the principal, e.g. alice@example.com'),
      key: z.string().describe('the public key line, ssh-ed25519 AAAA…'),
      signed,
    }),
  async run(input: Omit<ApproversChange, 'action'>, ctx) {
    return hostOf(ctx).changeApprovers({ ...input, action: 'add' }, ctx.actor)
  },
}

export const approversRemoveTool: ToolDefinition = {
  ...common,
  id: 'approvers.remove',
  title: 'Remove an approver',
  description:
    'Removes every key of a principal from .driftcore/allowed_signers; signed by an approver listed.',
  input: () => z.object({ name: z.string(), signed }),
  async run(input: Omit<ApproversChange, 'action'>, ctx) {
    return hostOf(ctx).changeApprovers({ ...input, action: 'remove' }, ctx.actor)
  },
}
