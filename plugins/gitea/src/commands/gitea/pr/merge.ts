import { Args, Flags } from '@oclif/core'
import { ToolCommand } from 'driftcore'
import { repoFlags, target } from '../../../cli/flags.js'

export default class GiteaPrMerge extends ToolCommand<typeof GiteaPrMerge> {
  static override summary = 'Merge a pull request at the reviewed head commit (gitea.prMerge)'
  static override description =
    'The merge names the head commit that was reviewed (--head-sha): a pull request that moved on since is not merged. Policy usually asks people to approve merges.'
  static override examples = [
    '<%= config.bin %> gitea pr merge 3 --repo site --head-sha 0123456789abcdef0123456789abcdef01234567',
    '<%= config.bin %> gitea pr merge 3 --repo site --head-sha 0123456789abcdef0123456789abcdef01234567 --approval apr_0123456789ab',
  ]
  static override args = {
    number: Args.integer({ description: 'the pull request number', required: true, min: 1 }),
  }
  static override flags = {
    ...repoFlags,
    'head-sha': Flags.string({
      description: 'the reviewed head commit (gitea pr show prints it)',
      required: true,
    }),
    style: Flags.string({
      options: ['merge', 'rebase', 'rebase-merge', 'squash', 'fast-forward-only'],
      default: 'merge',
    }),
    ...ToolCommand.approvalFlag,
  }

  async run(): Promise<{ number: number; merged: boolean; merge_commit_sha?: string }> {
    const f = this.flags
    const out = await this.callTool<{ number: number; merged: boolean; merge_commit_sha?: string }>(
      'gitea.prMerge',
      { ...target(f), number: this.args.number, head_sha: f['head-sha'], style: f.style },
      f.approval,
    )
    if (!this.jsonEnabled())
      this.log(`#${out.number} merged${out.merge_commit_sha ? ` as ${out.merge_commit_sha}` : ''}`)
    return out
  }
}
