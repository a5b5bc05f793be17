import { Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { table } from '../../cli/format.js'
import { serverFlags } from '../../cli/remote.js'
import type { ApprovalRequest } from '../../approvals/approvals.js'

export default class ApprovalsList extends DriftcoreCommand<typeof ApprovalsList> {
  static override summary = 'List approval requests (pending by default)'
  static override examples = [
    '<%= config.bin %> approvals list',
    '<%= config.bin %> approvals list --status all --json',
    '<%= config.bin %> approvals list --server http://127.0.0.1:7800',
  ]
  static override flags = {
    ...serverFlags,
    status: Flags.string({
      options: ['pending', 'approved', 'denied', 'used', 'expired', 'withdrawn', 'all'],
      default: 'pending',
    }),
  }

  async run() {
    const remote = await this.remote()
    const requests = remote
      ? await remote.get<ApprovalRequest[]>('/approvals', { status: this.flags.status })
      : await (
          await import('../../control/operations.js')
        ).listApprovals(await this.kernel(), this.flags.status)
    if (!this.jsonEnabled()) {
      const rows = requests.map((r) => ({
        id: r.id,
        // A request that needs several people says how far it is: pending 1/2.
        status:
          r.status === 'pending' && (r.approvals_required ?? 1) > 1
            ? `pending ${r.approved_by?.length ?? 0}/${r.approvals_required}`
            : r.status,
        tool: r.tool,
        requester: `${r.requester.type}:${r.requester.id}`,
        expires_at: r.expires_at,
        reason: r.reason,
      }))
      this.log(table(rows, ['id', 'status', 'tool', 'requester', 'expires_at', 'reason']))
    }
    return requests
  }
}
