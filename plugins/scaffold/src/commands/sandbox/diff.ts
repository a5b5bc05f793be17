import { ScaffoldToolCommand } from '../../cli/tool-command.js'

export default class SandboxDiff extends ScaffoldToolCommand<typeof SandboxDiff> {
  static override summary = 'Show the change since the snapshot as a unified diff'
  static override examples = ['<%= config.bin %> sandbox diff', '<%= config.bin %> sandbox diff --json']

  async run() {
    const out = await this.callWithApproval<{ changes: { path: string; status: string }[]; patch: string }>(
      'sandbox.diff',
      {},
    )
    this.show(out.patch.length > 0 ? out.patch.replace(/\n$/, '') : 'no changes since the snapshot')
    return out
  }
}
