import { Flags } from '@oclif/core'
import { ScaffoldToolCommand } from '../../cli/tool-command.js'

export default class SandboxInit extends ScaffoldToolCommand<typeof SandboxInit> {
  static override summary =
    'Create the sandbox: a git working copy of a Drupal site, its git data kept out of reach'
  static override examples = [
    '<%= config.bin %> sandbox init --from sandbox/example-site',
    '<%= config.bin %> sandbox init --from ../my-site --json',
  ]
  static override flags = {
    from: Flags.string({
      description: 'the site to copy (without .git folders); omit to adopt sandbox.path as it is',
    }),
  }

  async run() {
    const out = await this.callWithApproval<{ path: string; files: number; from: string | null }>(
      'sandbox.init',
      {
        ...(this.flags.from ? { from: this.flags.from } : {}),
      },
    )
    this.show(
      `sandbox at ${out.path} (${out.files} files${out.from ? ` from ${out.from}` : ''})\nnext: driftcore sandbox snapshot`,
    )
    return out
  }
}
