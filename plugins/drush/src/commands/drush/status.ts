import { table } from 'driftcore'
import { DrushToolCommand } from '../../cli/tool-command.js'

interface Output {
  status: Record<string, unknown>
  removed: string[]
  bootstrapped: boolean
}

export default class DrushStatus extends DrushToolCommand<typeof DrushStatus> {
  static override summary = "The Drupal site's status (drush core:status), without its secrets"
  static override examples = ['<%= config.bin %> drush status', '<%= config.bin %> drush status --json']

  async run(): Promise<Output> {
    const out = await this.callTool<Output>('drush.status', {})
    if (!this.jsonEnabled()) {
      const rows = Object.entries(out.status).map(([key, value]) => ({ key, value }))
      this.log(table(rows, ['key', 'value']))
      if (out.removed.length > 0) this.note(`not shown (secrets): ${out.removed.join(', ')}`)
    }
    return out
  }
}
