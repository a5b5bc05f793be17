import { ScaffoldToolCommand } from '../../cli/tool-command.js'

export default class SandboxSnapshot extends ScaffoldToolCommand<typeof SandboxSnapshot> {
  static override summary = 'Record the sandbox as it is now; reset returns to it exactly'
  static override examples = [
    '<%= config.bin %> sandbox snapshot',
    '<%= config.bin %> sandbox snapshot --json',
  ]

  async run() {
    const out = await this.callWithApproval<{
      commit: string
      tree_hash: string
      files: number
      bytes: number
    }>('sandbox.snapshot', {})
    this.show(
      `snapshot ${out.commit.slice(0, 12)} · ${out.files} files, ${out.bytes} bytes · tree ${out.tree_hash}`,
    )
    return out
  }
}
