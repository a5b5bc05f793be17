import { Flags } from '@oclif/core'
import { ToolCommand } from 'driftcore'
import { repoFlags, target } from '../../../cli/flags.js'
import { pullLine, type PullView } from '../../../format/pulls.js'

export default class GiteaPrCreate extends ToolCommand<typeof GiteaPrCreate> {
  static override summary = 'Open a pull request (gitea.prCreate, through the gate)'
  static override description = 'Opens a pull request from --head into --base (default gitea.default_branch).'
  static override examples = [
    '<%= config.bin %> gitea pr create --repo site --head feature/cache --title "Cache the front page"',
    '<%= config.bin %> gitea pr create --owner acme --repo site --head fix --base release --title Fix --body "Why: …" --json',
  ]
  static override flags = {
    ...repoFlags,
    head: Flags.string({ description: 'the branch with the changes', required: true }),
    base: Flags.string({ description: 'the branch to merge into (default gitea.default_branch)' }),
    title: Flags.string({ description: 'the title', required: true }),
    body: Flags.string({ description: 'the description (Markdown)' }),
    ...ToolCommand.approvalFlag,
  }

  async run(): Promise<PullView> {
    const f = this.flags
    const out = await this.callTool<PullView>(
      'gitea.prCreate',
      {
        ...target(f),
        head: f.head,
        title: f.title,
        ...(f.base ? { base: f.base } : {}),
        ...(f.body ? { body: f.body } : {}),
      },
      f.approval,
    )
    if (!this.jsonEnabled()) this.log(pullLine(out))
    return out
  }
}
