import { DrushToolCommand } from '../../cli/tool-command.js'
import type { DrushLogEntry } from '../../drush/output.js'
import { formatLogs } from '../../format/logs.js'

interface Output {
  ok: boolean
  logs: DrushLogEntry[]
  duration_ms: number
}

export default class DrushCacheRebuild extends DrushToolCommand<typeof DrushCacheRebuild> {
  static override summary = "Rebuild the site's caches (drush cache:rebuild)"
  static override description =
    'It changes the site, so the default policy asks a person to approve it first.'
  static override examples = [
    '<%= config.bin %> drush cache-rebuild',
    '<%= config.bin %> drush cache-rebuild --approval apr_0123456789ab --json',
  ]
  static override flags = { ...DrushToolCommand.approvalFlag }

  async run(): Promise<Output> {
    const out = await this.callTool<Output>('drush.cacheRebuild', {}, this.flags.approval)
    if (!this.jsonEnabled()) this.log(formatLogs(out.logs))
    return out
  }
}
