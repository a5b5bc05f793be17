import { Args, Flags } from '@oclif/core'
import { ToolCommand } from '../../cli/tool-command.js'
import { approversChangeInput } from '../../identity/approvers-cli.js'
import type { ApproversChangeResult } from '../../identity/approvers.js'

export default class ApproversRemove extends ToolCommand<typeof ApproversRemove> {
  static override summary = 'Remove a person (every key of theirs) from .driftcore/allowed_signers'
  static override description =
    'The approvers.remove tool: signed by an approver listed (it may be the one removed), recorded as approvers.changed. ' +
    'Approvals they signed and that are not used yet stop counting: each use checks the signature against the approvers in force.'
  static override examples = ['<%= config.bin %> approvers remove bob']
  static override args = { name: Args.string({ description: 'the principal to remove', required: true }) }
  static override flags = {
    'sign-key': Flags.string({
      description: 'your key to sign the change with (default: approvals.signing_key, or ssh-agent)',
    }),
  }

  async run() {
    const kernel = await this.kernel()
    const input = await approversChangeInput(
      kernel,
      { action: 'remove', name: this.args.name },
      { key: this.flags['sign-key'] },
    )
    const result = await this.callTool<ApproversChangeResult>('approvers.remove', input)
    if (!this.jsonEnabled()) this.log(`removed ${result.name} from ${result.file}`)
    return result
  }
}
