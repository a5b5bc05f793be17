import { Args } from '@oclif/core'
import { table } from 'driftcore'
import { DrushToolCommand } from '../../cli/tool-command.js'

interface Output {
  entity_type: string
  bundle: string
  fields: { name: string; type: string; required: boolean; cardinality: number; label: string }[]
}

export default class DrushFieldInfo extends DrushToolCommand<typeof DrushFieldInfo> {
  static override summary = 'The configurable fields of one bundle (drush field:info)'
  static override examples = [
    '<%= config.bin %> drush field-info node article',
    '<%= config.bin %> drush field-info taxonomy_term tags --json',
  ]
  static override args = {
    entityType: Args.string({ description: 'entity type, e.g. node', required: true }),
    bundle: Args.string({ description: 'bundle, e.g. article', required: true }),
  }

  async run(): Promise<Output> {
    const out = await this.callTool<Output>('drush.fieldInfo', {
      entity_type: this.args.entityType,
      bundle: this.args.bundle,
    })
    if (!this.jsonEnabled()) this.log(table(out.fields, ['name', 'type', 'required', 'cardinality', 'label']))
    return out
  }
}
