import { ScaffoldToolCommand } from '../../cli/tool-command.js'

export default class SandboxReset extends ScaffoldToolCommand<typeof SandboxReset> {
  static override summary = 'Put the sandbox back exactly as its snapshot recorded it, proved by tree hash'
  static override examples = ['<%= config.bin %> sandbox reset', '<%= config.bin %> sandbox reset --json']

  async run() {
    const out = await this.callWithApproval<{ tree_hash: string; was_clean: boolean; files: number }>(
      'sandbox.reset',
      {},
    )
    this.show(
      `${out.was_clean ? 'already at' : 'reset to'} the snapshot · ${out.files} files · tree ${out.tree_hash}`,
    )
    return out
  }
}
