import { Args } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'

export default class ResourcesRead extends DriftcoreCommand<typeof ResourcesRead> {
  static override summary = 'Read a resource through the gate (decided by policy, recorded in the audit log)'
  static override examples = [
    '<%= config.bin %> resources read driftcore://schema/entity-types',
    '<%= config.bin %> resources read driftcore://schema/fields/node --json',
  ]
  static override args = { uri: Args.string({ description: 'resource URI', required: true }) }

  async run() {
    const kernel = await this.kernel()
    const content = await kernel.gate.read(this.args.uri, this.actor())
    // A binary resource's bytes go to stdout as they are (`> file.png`); --json gives them as base64.
    if (!this.jsonEnabled())
      if (content.text !== undefined) this.log(content.text)
      else process.stdout.write(Buffer.from(content.data, 'base64'))
    return { uri: this.args.uri, ...content }
  }
}
