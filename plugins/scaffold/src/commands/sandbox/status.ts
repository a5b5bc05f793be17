import { Flags } from '@oclif/core'
import { ScaffoldToolCommand } from '../../cli/tool-command.js'
import { formatStatus, type StatusView } from '../../formatters/sandbox.js'

export default class SandboxStatus extends ScaffoldToolCommand<typeof SandboxStatus> {
  static override summary = 'Show the sandbox, its snapshot and every file changed since (ignored files too)'
  static override examples = [
    '<%= config.bin %> sandbox status',
    '<%= config.bin %> sandbox status --verify --json',
  ]
  static override flags = {
    verify: Flags.boolean({
      description: 'also recompute the tree hash and compare it with the snapshot (reads every file)',
    }),
  }

  async run() {
    const out = await this.callWithApproval<StatusView>('sandbox.status', { verify: this.flags.verify })
    this.show(formatStatus(out))
    return out
  }
}
