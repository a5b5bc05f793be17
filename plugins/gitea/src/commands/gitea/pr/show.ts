import { Args, Flags } from '@oclif/core'
import { ToolCommand } from 'driftcore'
import { repoFlags, target } from '../../../cli/flags.js'
import { pullDetail, type PullView } from '../../../format/pulls.js'

export default class GiteaPrShow extends ToolCommand<typeof GiteaPrShow> {
  static override summary = 'Show a pull request (gitea.prGet), with its checks and, with --diff, its diff'
  static override examples = [
    '<%= config.bin %> gitea pr show 3 --repo site',
    '<%= config.bin %> gitea pr show 3 --repo site --diff --json',
  ]
  static override args = {
    number: Args.integer({ description: 'the pull request number', required: true, min: 1 }),
  }
  static override flags = {
    ...repoFlags,
    diff: Flags.boolean({ description: 'also the diff (gitea.diff)' }),
  }

  async run(): Promise<{ pull: PullView; checks: unknown; diff?: string }> {
    const f = this.flags
    const input = { ...target(f), number: this.args.number }
    const pull = await this.callTool<PullView>('gitea.prGet', input)
    const checks = await this.callTool<{
      state: string
      total_count: number
      statuses: { context: string; state: string }[]
    }>('gitea.status', input)
    const diff = f.diff ? (await this.callTool<{ diff: string }>('gitea.diff', input)).diff : undefined
    if (!this.jsonEnabled()) {
      this.log(pullDetail(pull))
      this.log(
        `\nchecks: ${checks.state}${checks.statuses.map((s) => `\n  ${s.state} ${s.context}`).join('')}`,
      )
      if (diff !== undefined) this.log(`\n${diff}`)
    }
    return { pull, checks, ...(diff !== undefined ? { diff } : {}) }
  }
}
