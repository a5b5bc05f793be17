import { Flags } from '@oclif/core'
import { ToolCommand } from 'driftcore'
import { repoFlags, target } from '../../../cli/flags.js'
import { pullTable, type PullView } from '../../../format/pulls.js'

export default class GiteaPrList extends ToolCommand<typeof GiteaPrList> {
  static override summary = "List a repository's pull requests (gitea.prList)"
  static override examples = [
    '<%= config.bin %> gitea pr list --repo site',
    '<%= config.bin %> gitea pr list --owner acme --repo site --state all --json',
  ]
  static override flags = {
    ...repoFlags,
    state: Flags.string({
      options: ['open', 'closed', 'all'],
      default: 'open',
      description: 'which pull requests',
    }),
    limit: Flags.integer({ min: 1, max: 50, default: 30, description: 'at most this many' }),
  }

  async run(): Promise<{ pulls: PullView[] }> {
    const f = this.flags
    const out = await this.callTool<{ pulls: PullView[] }>('gitea.prList', {
      ...target(f),
      state: f.state,
      limit: f.limit,
    })
    if (!this.jsonEnabled()) this.log(pullTable(out.pulls))
    return out
  }
}
