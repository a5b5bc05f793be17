import { Flags } from '@oclif/core'
import { sourceArg } from '../../cli/source-flag.js'
import { DrushToolCommand } from '../../cli/tool-command.js'
import { formatCounts } from '../../format/metadata.js'
import type { MetadataComparison } from '../../metadata/compare.js'
import type { SnapshotEntry } from '../../metadata/snapshots.js'

interface Output {
  snapshot: SnapshotEntry
  previous: string | null
  summary: MetadataComparison['summary'] | null
}

export default class DrushMetadataHarvest extends DrushToolCommand<typeof DrushMetadataHarvest> {
  static override summary = "Harvest the site's entity types and fields into a metadata snapshot"
  static override description =
    'With Drush, a PHP script shipped with driftcore runs through drush php:script; without Drush (or with --source config) the config export is read. The schema resources serve the latest snapshot.'
  static override examples = [
    '<%= config.bin %> drush metadata-harvest',
    '<%= config.bin %> drush metadata-harvest --source config --config-dir sandbox/example-site/config/current',
  ]
  static override flags = {
    source: Flags.string({
      options: ['auto', 'drush', 'config'],
      default: 'auto',
      description: 'where metadata comes from',
    }),
    'config-dir': Flags.string({ description: 'the config export to read (default: drush.config_dir)' }),
  }

  async run(): Promise<Output> {
    const dir = this.flags['config-dir']
    const out = await this.callTool<Output>('drush.metadataHarvest', {
      source: this.flags.source,
      ...(dir ? { config_dir: sourceArg(dir) } : {}),
    })
    if (!this.jsonEnabled()) {
      const s = out.snapshot
      this.log(
        `snapshot ${s.id}: ${s.entity_types} entity types, ${s.bundles} bundles, ${s.fields} fields (from ${s.source.kind}: ${s.source.detail})`,
      )
      if (out.summary) this.log(`since ${out.previous}: ${formatCounts(out.summary)}`)
    }
    return out
  }
}
