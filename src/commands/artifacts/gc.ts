import { Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'

export default class ArtifactsGc extends DriftcoreCommand<typeof ArtifactsGc> {
  static override summary =
    'Delete artifacts past their retention (short, standard, audit: artifacts.retention_days)'
  static override examples = [
    '<%= config.bin %> artifacts gc --dry-run',
    '<%= config.bin %> artifacts gc --json',
  ]
  static override flags = { 'dry-run': Flags.boolean({ description: 'list what would be deleted' }) }

  async run() {
    const kernel = await this.kernel()
    const removed = await kernel.artifacts.gc(new Date(), this.flags['dry-run'])
    if (!this.jsonEnabled())
      this.log(
        `${this.flags['dry-run'] ? 'would delete' : 'deleted'} ${removed.length} artifact(s), ${removed.reduce((n, a) => n + a.size, 0)} bytes`,
      )
    return { removed, dry_run: this.flags['dry-run'] }
  }
}
