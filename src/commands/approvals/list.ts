import { Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { table } from '../../cli/format.js'
import type { ApprovalStatus } from '../../approvals/approvals.js'

export default class ApprovalsList extends DriftcoreCommand<typeof ApprovalsList> {
  static override summary = 'List approval requests (pending by default)'
  static override examples = [
    '<%= config.bin %> approvals list',
    '<%= config.bin %> approvals list --status all --json',
  ]
  static override flags = {
    status: Flags.string({
      options: ['pending', 'approved', 'denied', 'used', 'expired', 'withdrawn', 'all'],
      default: 'pending',
    }),
  }

  async run() {
    const kernel = await this.kernel()
    const status = this.flags.status === 'all' ? undefined : (this.flags.status as ApprovalStatus)
    const requests = await kernel.approvals.list(status)
    if (!this.jsonEnabled()) {
      const rows = requests.map((r) => ({
        id: r.id,
        status: r.status,
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
