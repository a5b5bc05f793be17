import { Args, Flags } from '@oclif/core'
import { ToolCommand } from '../../cli/tool-command.js'
import { parseValue } from '../../config/layers.js'
import type { ConfigSetResult } from '../../config/set.js'

export default class ConfigSet extends ToolCommand<typeof ConfigSet> {
  static override summary = 'Set a config key in the project or user layer'
  static override description =
    'VALUE is read as YAML, so numbers, booleans and lists keep their type. The whole config is validated ' +
    'before the file is written; an invalid value changes nothing. Comments in the file are kept. ' +
    'This is the config.set tool: policy decides it (the shipped default lets a person do it and makes agents ' +
    'ask a person first), and every change is audited as config.changed with the old and new config hash. ' +
    'When the config does not load at all, fix the file the error names by hand (that change is recorded too).'
  static override examples = [
    '<%= config.bin %> config set audit.fsync always',
    "<%= config.bin %> config set launcher.allowlist '[git, php, drush]'",
    '<%= config.bin %> config set sandbox.isolation off --layer user',
    "<%= config.bin %> config set config.allow_overrides '[project.environment]'",
  ]
  static override args = {
    key: Args.string({ description: 'dotted key, e.g. audit.fsync', required: true }),
    value: Args.string({ description: 'the value, as YAML', required: true }),
  }
  static override flags = {
    layer: Flags.string({
      options: ['project', 'user'],
      default: 'project',
      description: 'which layer file to write',
    }),
    ...ToolCommand.approvalFlag,
  }

  async run() {
    const result = await this.callTool<ConfigSetResult>(
      'config.set',
      { key: this.args.key, value: parseValue(this.args.value), layer: this.flags.layer },
      this.flags.approval,
    )
    if (result.overridden_by)
      this.note(
        `note: the ${result.overridden_by} layer overrides ${result.key}, so the effective value is unchanged`,
      )
    if (!this.jsonEnabled()) this.log(`${result.key} = ${JSON.stringify(result.value)} (${result.file})`)
    return result
  }
}
