import { DriftcoreCommand } from '../../cli/base-command.js'
import { table } from '../../cli/format.js'

export default class ArtifactsList extends DriftcoreCommand<typeof ArtifactsList> {
  static override summary = 'List stored artifacts with size, retention class and names'
  static override examples = ['<%= config.bin %> artifacts list', '<%= config.bin %> artifacts list --json']

  async run() {
    const kernel = await this.kernel()
    const artifacts = await kernel.artifacts.list()
    if (!this.jsonEnabled())
      this.log(
        table(
          artifacts.map((a) => ({ ...a, uri: a.uri.slice(0, 30) + '…' })),
          ['uri', 'size', 'retention', 'names', 'last_put_at'],
        ),
      )
    return artifacts
  }
}
