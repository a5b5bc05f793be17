import { Args } from '@oclif/core'
import { DrushToolCommand } from '../../cli/tool-command.js'
import { summarise, type MetadataDelta } from '../../metadata/compare.js'
import type { EntityTypeMeta } from '../../metadata/model.js'
import { formatMetadataComparison } from '../../format/metadata.js'

interface Output {
  entity_type: EntityTypeMeta
  snapshot: { id: string }
  deltas: MetadataDelta[]
}

export default class DrushEntitySchema extends DrushToolCommand<typeof DrushEntitySchema> {
  static override summary = 'Refresh the harvested metadata of one entity type from the live site'
  static override examples = [
    '<%= config.bin %> drush entity-schema node',
    '<%= config.bin %> drush entity-schema taxonomy_term --json',
  ]
  static override args = {
    entityType: Args.string({ description: 'entity type, e.g. node', required: true }),
  }

  async run(): Promise<Output> {
    const out = await this.callTool<Output>('drush.entitySchema', { entity_type: this.args.entityType })
    if (!this.jsonEnabled()) {
      const t = out.entity_type
      this.log(`${t.id} (${t.label}): ${Object.keys(t.bundles).length} bundles · snapshot ${out.snapshot.id}`)
      for (const b of Object.values(t.bundles)) this.log(`  ${b.id}: ${Object.keys(b.fields).join(', ')}`)
      if (out.deltas.length > 0)
        this.log(formatMetadataComparison({ deltas: out.deltas, summary: summarise(out.deltas) }))
    }
    return out
  }
}
