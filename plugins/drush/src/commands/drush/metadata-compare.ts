import { Flags } from '@oclif/core'
import { DrushToolCommand } from '../../cli/tool-command.js'
import { formatMetadataComparison } from '../../format/metadata.js'
import type { MetadataComparison } from '../../metadata/compare.js'

type Output = MetadataComparison & { from: string; to: string }

export default class DrushMetadataCompare extends DrushToolCommand<typeof DrushMetadataCompare> {
  static override summary = 'What changed in the site structure between two metadata snapshots'
  static override examples = [
    '<%= config.bin %> drush metadata-compare',
    '<%= config.bin %> drush metadata-compare --from 20260101T000000-1a2b3c4d --to latest --json',
  ]
  static override flags = {
    from: Flags.string({ default: 'previous', description: 'a snapshot id, or previous' }),
    to: Flags.string({ default: 'latest', description: 'a snapshot id, or latest' }),
  }

  async run(): Promise<Output> {
    const out = await this.callTool<Output>('drush.metadataCompare', {
      from: this.flags.from,
      to: this.flags.to,
    })
    if (!this.jsonEnabled()) this.log(`${out.from} → ${out.to}\n${formatMetadataComparison(out)}`)
    return out
  }
}
