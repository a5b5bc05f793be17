import { Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'

export default class PolicyRollback extends DriftcoreCommand<typeof PolicyRollback> {
  static override summary = 'Make an earlier snapshot current (pinned until the next publish)'
  static override examples = ['<%= config.bin %> policy rollback', '<%= config.bin %> policy rollback --to 3']
  static override flags = {
    to: Flags.integer({ description: 'snapshot version (default: the one before the current)' }),
  }

  async run() {
    const kernel = await this.kernel()
    const snapshot = await kernel.policyStore.rollback(this.actor(), this.flags.to)
    if (!this.jsonEnabled())
      this.log(`snapshot v${snapshot.version} is current and pinned; \`driftcore policy publish\` un-pins it`)
    return { version: snapshot.version, hash: snapshot.hash, pinned: true }
  }
}
