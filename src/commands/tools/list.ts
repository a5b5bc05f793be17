import { DriftcoreCommand } from '../../cli/base-command.js'
import { table } from '../../cli/format.js'

export default class ToolsList extends DriftcoreCommand<typeof ToolsList> {
  static override summary = 'List the tools plugins contribute'
  static override description =
    'Every tool the host and its installed plugins register, with the risk tags policy decides on.'
  static override examples = ['<%= config.bin %> tools list', '<%= config.bin %> tools list --json']

  async run() {
    const registry = await this.registry()
    const tools = registry.tools().map((t) => ({
      id: t.id,
      title: t.title ?? null,
      description: t.description,
      capability: t.capability,
      risk: t.risk,
      requires: t.requires ?? [],
      plugin: t.plugin,
    }))
    if (!this.jsonEnabled()) this.log(table(tools, ['id', 'risk', 'capability', 'plugin']))
    return tools
  }
}
