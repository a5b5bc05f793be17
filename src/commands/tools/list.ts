import { DriftcoreCommand } from '../../cli/base-command.js'
import { table } from '../../cli/format.js'

export default class ToolsList extends DriftcoreCommand<typeof ToolsList> {
  static override summary = 'List the tools plugins contribute'
  static override description =
    'Every tool the host and its installed plugins register, with the risk tags policy decides on.'
  static override examples = ['<%= config.bin %> tools list', '<%= config.bin %> tools list --json']

  async run() {
    const { tools } = await this.catalog()
    const list = tools.map(({ input_schema: _i, output_schema: _o, ...tool }) => tool)
    if (!this.jsonEnabled()) this.log(table(list, ['id', 'risk', 'capability', 'plugin']))
    return list
  }
}
