import { Args } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { yamlish } from '../../cli/format.js'

export default class ApprovalsShow extends DriftcoreCommand<typeof ApprovalsShow> {
  static override summary = 'Show one approval request: tool, input summary and hash, rule, reason, requester'
  static override examples = ['<%= config.bin %> approvals show apr_0123456789ab']
  static override args = { id: Args.string({ description: 'approval id', required: true }) }

  async run() {
    const kernel = await this.kernel()
    const request = await kernel.approvals.get(this.args.id)
    if (!this.jsonEnabled()) this.log(yamlish({ ...request, input: undefined }))
    return request
  }
}
