import { Args, Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { serverFlags } from '../../cli/remote.js'
import { decideRemotely } from '../../control/decide.js'
import { decideAsPerson } from '../../identity/person.js'

export default class ApprovalsDeny extends DriftcoreCommand<typeof ApprovalsDeny> {
  static override summary = 'Deny a pending request'
  static override examples = [
    '<%= config.bin %> approvals deny apr_0123456789ab --comment "not during the release freeze"',
  ]
  static override args = { id: Args.string({ description: 'approval id', required: true }) }
  static override description =
    'Signed with your SSH key once the project lists approvers in .driftcore/allowed_signers, like `approvals approve`.'
  static override flags = {
    ...serverFlags,
    comment: Flags.string({ description: 'why you deny' }),
    key: Flags.string({
      description: 'your SSH key to sign with (default: approvals.signing_key, or ssh-agent)',
    }),
  }

  async run() {
    const remote = await this.remote()
    const approval = remote
      ? (
          await decideRemotely(remote, this.args.id, 'denied', this.flags.comment, {
            key: this.flags.key,
            configDir: this.config.configDir,
          })
        ).approval
      : await decideAsPerson(await this.kernel(), this.args.id, this.actor(), 'denied', this.flags.comment, {
          key: this.flags.key,
        })
    if (!this.jsonEnabled()) this.log(`denied ${approval.id} (${approval.tool})`)
    return { approval }
  }
}
