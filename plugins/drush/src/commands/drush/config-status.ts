import { Flags } from '@oclif/core'
import { table } from 'driftcore'
import { DrushToolCommand } from '../../cli/tool-command.js'

interface Output {
  in_sync: boolean
  differences: { name: string; state: string }[]
}

export default class DrushConfigStatus extends DrushToolCommand<typeof DrushConfigStatus> {
  static override summary = "Which config differs between the site's database and its sync folder"
  static override examples = [
    '<%= config.bin %> drush config-status',
    '<%= config.bin %> drush config-status --prefix node.type. --json',
  ]
  static override flags = {
    prefix: Flags.string({ description: 'only objects whose name starts with this' }),
  }

  async run(): Promise<Output> {
    const out = await this.callTool<Output>(
      'drush.configStatus',
      this.flags.prefix ? { prefix: this.flags.prefix } : {},
    )
    if (!this.jsonEnabled()) this.log(out.in_sync ? 'in sync' : table(out.differences, ['name', 'state']))
    return out
  }
}
