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
    'With Drush, a PHP script shipped with driftcore runs through drush php:script; when Drush cannot reach the site (or with --from config, or --source) a config export is read: --source, else drush.config_dir, else the sync folder drush status names. The schema resources serve the latest snapshot.'
  static override examples = [
    '<%= config.bin %> drush metadata-harvest',
    '<%= config.bin %> drush metadata-harvest --source sandbox/example-site/config/current',
    '<%= config.bin %> drush metadata-harvest --from drush',
  ]
  static override flags = {
    from: Flags.string({
      options: ['auto', 'drush', 'config'],
      default: 'auto',
      description: 'where metadata comes from: Drush, a config export, or Drush when reachable',
    }),
    // --source names a config source here as in every other command (implies --from config).
    source: Flags.string({
      description: 'the config export to read: a folder, .tar.gz, baseline or artifact',
      aliases: ['config-dir'],
      deprecateAliases: true,
    }),
  }

  async run(): Promise<Output> {
    const dir = this.flags.source
    const out = await this.callTool<Output>('drush.metadataHarvest', {
      from: this.flags.from,
      ...(dir ? { source: sourceArg(dir) } : {}),
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
