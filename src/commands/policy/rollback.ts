import { Flags } from '@oclif/core'
import { ToolCommand } from '../../cli/tool-command.js'

export default class PolicyRollback extends ToolCommand<typeof PolicyRollback> {
  static override summary = 'Make an earlier snapshot current (pinned until the next publish)'
  static override description =
    'The snapshot is verified first (its hash, and its signatures under the trusted keys in force now); ' +
    'one that fails is refused with an integrity error and nothing is pinned. This is the policy.rollback ' +
    'tool: the shipped default policy lets a person do it and denies it to agents.'
  static override examples = ['<%= config.bin %> policy rollback', '<%= config.bin %> policy rollback --to 3']
  static override flags = {
    to: Flags.integer({ description: 'snapshot version (default: the one before the current)' }),
    ...ToolCommand.approvalFlag,
  }

  async run() {
    const result = await this.callTool<{ version: number; hash: string; from: number | null; pinned: true }>(
      'policy.rollback',
      this.flags.to === undefined ? {} : { to: this.flags.to },
      this.flags.approval,
    )
    if (!this.jsonEnabled())
      this.log(`snapshot v${result.version} is current and pinned; \`driftcore policy publish\` un-pins it`)
    return result
  }
}
