import { Args } from '@oclif/core'
import { DriftcoreCommand } from '../../../cli/base-command.js'
import { PersonTokens } from '../../../control/tokens.js'

export default class ServeTokensAdd extends DriftcoreCommand<typeof ServeTokensAdd> {
  static override summary = 'Make a person’s control-API token; it is printed once, only its hash is kept'
  static override description =
    'Run it as the service user (it writes .driftcore/state/control-tokens.json). Give the token to the person, who ' +
    'keeps it in DRIFTCORE_SERVER_TOKEN or in ~/.config/driftcore/server-token (mode 600). Every control request ' +
    'is audited under NAME. A person token opens the control API only, not /mcp; an MCP token opens nothing here.'
  static override examples = [
    '<%= config.bin %> serve tokens add alice',
    'sudo -u driftcore <%= config.bin %> serve tokens add alice --home /srv/site/.driftcore',
    '<%= config.bin %> serve tokens add alice --json',
  ]
  static override args = {
    name: Args.string({ description: 'who it is for (lower case, e.g. their login)', required: true }),
  }

  async run() {
    const kernel = await this.kernel()
    const added = await new PersonTokens(kernel.paths.state).add(this.args.name)
    await kernel.audit.record({
      type: 'control.token.added',
      actor: this.actor(),
      subject: added.name,
      data: { created_at: added.created_at },
    })
    if (!this.jsonEnabled()) {
      this.log(added.token)
      this.note(
        `token for ${added.name}: shown only this once; remove it with: driftcore serve tokens remove ${added.name}`,
      )
    }
    return added
  }
}
