import { DrushToolCommand } from '../../cli/tool-command.js'

interface Output {
  record: string
  tar: string | null
  digest: string
  files: number
  bytes: number
  created_at: string
}

export default class DrushConfigExport extends DrushToolCommand<typeof DrushConfigExport> {
  static override summary = "Export the site's config as artifacts: a tarball, its manifest and digest"
  static override description =
    "The site's sync folder is not touched. Compare the export with a baseline: driftcore drift check --baseline config/sync --current <record>."
  static override examples = [
    '<%= config.bin %> drush config-export',
    '<%= config.bin %> drush config-export --json',
  ]

  async run(): Promise<Output> {
    const out = await this.callTool<Output>('drush.configExport', {})
    if (!this.jsonEnabled()) {
      this.log(`exported ${out.files} objects (${out.bytes} bytes), digest ${out.digest}`)
      this.log(`record  ${out.record}\ntarball ${out.tar ?? '(none)'}`)
    }
    return out
  }
}
