import { DriftcoreCommand } from '../../../cli/base-command.js'
import { table } from '../../../cli/format.js'
import { PersonTokens } from '../../../control/tokens.js'

export default class ServeTokensList extends DriftcoreCommand<typeof ServeTokensList> {
  static override summary = 'List the people who have a control-API token (names only)'
  static override examples = [
    '<%= config.bin %> serve tokens list',
    '<%= config.bin %> serve tokens list --json',
  ]

  async run() {
    const tokens = await new PersonTokens(this.paths().state).list()
    if (!this.jsonEnabled()) this.log(table(tokens, ['name', 'created_at']))
    return tokens
  }
}
