import { Flags } from '@oclif/core'
import { sourceArg } from '../../cli/source-flag.js'
import { DrushToolCommand } from '../../cli/tool-command.js'
import type { DrushLogEntry } from '../../drush/output.js'
import { formatLogs } from '../../format/logs.js'

interface Output {
  source: string | null
  partial: boolean
  objects: number
  backup: string | null
  logs: DrushLogEntry[]
}

export default class DrushConfigImport extends DrushToolCommand<typeof DrushConfigImport> {
  static override summary = 'Import config into the site (drush config:import), after a backup export'
  static override description =
    'Without --source Drush imports its own sync folder. With --object only those objects are imported (nothing is deleted). It changes the site, so the default policy asks a person to approve it first.'
  static override examples = [
    '<%= config.bin %> drush config-import --source config/sync',
    '<%= config.bin %> drush config-import --source main --object core.extension --object system.site',
    '<%= config.bin %> drush config-import --source config/sync --approval apr_0123456789ab',
  ]
  static override flags = {
    source: Flags.string({ description: 'a config folder, .tar.gz, baseline name or artifact to import' }),
    object: Flags.string({ description: 'import only this object (repeatable)', multiple: true }),
    'no-backup': Flags.boolean({ description: "do not export the site's config first" }),
    ...DrushToolCommand.approvalFlag,
  }

  async run(): Promise<Output> {
    const { source, object } = this.flags
    const input = {
      ...(source ? { source: sourceArg(source) } : {}),
      ...(object ? { objects: object } : {}),
      backup: !this.flags['no-backup'],
    }
    const out = await this.callTool<Output>('drush.configImport', input, this.flags.approval)
    if (!this.jsonEnabled()) {
      this.log(formatLogs(out.logs))
      if (out.backup) this.note(`the site's config before the import: ${out.backup}`)
    }
    return out
  }
}
