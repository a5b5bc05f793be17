import { Args } from '@oclif/core'
import { DriftcoreCommand } from '../../../cli/base-command.js'
import { PersonTokens } from '../../../control/tokens.js'

export default class ServeTokensRemove extends DriftcoreCommand<typeof ServeTokensRemove> {
  static override summary = 'Remove a person’s control-API token; a running server refuses it at once'
  static override examples = ['<%= config.bin %> serve tokens remove alice']
  static override args = { name: Args.string({ description: 'the token’s name', required: true }) }

  async run() {
    const kernel = await this.kernel()
    await new PersonTokens(kernel.paths.state).remove(this.args.name)
    await kernel.audit.record({ type: 'control.token.removed', actor: this.actor(), subject: this.args.name })
    if (!this.jsonEnabled()) this.log(`removed the control token ${this.args.name}`)
    return { name: this.args.name, removed: true }
  }
}
