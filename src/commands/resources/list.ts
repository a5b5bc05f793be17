import { DriftcoreCommand } from '../../cli/base-command.js'
import { table } from '../../cli/format.js'

export default class ResourcesList extends DriftcoreCommand<typeof ResourcesList> {
  static override summary = 'List the resources (and resource templates) plugins contribute'
  static override examples = ['<%= config.bin %> resources list', '<%= config.bin %> resources list --json']

  async run() {
    const { resources } = await this.catalog()
    if (!this.jsonEnabled()) this.log(table(resources, ['uri', 'name', 'plugin']))
    return resources
  }
}
