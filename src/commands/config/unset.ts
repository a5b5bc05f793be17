import { Args, Flags } from '@oclif/core'
import { ToolCommand } from '../../cli/tool-command.js'
import type { ConfigSetResult } from '../../config/set.js'

export default class ConfigUnset extends ToolCommand<typeof ConfigUnset> {
  static override summary = 'Remove a config key from the project or user layer'
  static override description =
    'The next layer down decides the key again (the user file, or the default). Maps left empty are removed ' +
    'too; comments in the file are kept. This is the config.set tool with unset: true, so policy decides it and ' +
    'the change is audited as config.changed, as for config set. A key the layer does not set is not_found.'
  static override examples = [
    '<%= config.bin %> config unset workflow.concurrency',
    '<%= config.bin %> config unset sandbox.isolation --layer user',
  ]
  static override args = {
    key: Args.string({ description: 'dotted key, e.g. workflow.concurrency', required: true }),
  }
  static override flags = {
    layer: Flags.string({
      options: ['project', 'user'],
      default: 'project',
      description: 'which layer file to remove it from',
    }),
    ...ToolCommand.approvalFlag,
  }

  async run() {
    const result = await this.callTool<ConfigSetResult>(
      'config.set',
      { key: this.args.key, unset: true, layer: this.flags.layer },
      this.flags.approval,
    )
    if (!this.jsonEnabled())
      this.log(
        `${result.key} removed from ${result.file}; now ${JSON.stringify(result.value)}${result.overridden_by ? ` (from the ${result.overridden_by} layer)` : ''}`,
      )
    return result
  }
}
