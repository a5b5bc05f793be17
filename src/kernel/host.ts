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
])

export type HostToolContext = ToolContext & { host?: HostServices }

export function hostOf(ctx: ToolContext): HostServices {
  const host = (ctx as HostToolContext).host
  if (!host) throw new DriftcoreError('internal', 'this tool runs only inside a driftcore kernel')
  return host
}
