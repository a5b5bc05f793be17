import { Flags } from '@oclif/core'
import { serverFlags } from '../../cli/remote.js'
import { WorkflowCommand, workflowArgs } from '../../cli/workflow-command.js'

export default class WorkflowCancel extends WorkflowCommand<typeof WorkflowCancel> {
  static override summary =
    'Cancel a run: running steps are aborted and their processes killed, the rest cancelled'
  static override examples = [
    '<%= config.bin %> workflow cancel run_20260101_120000_ab12cd',
    '<%= config.bin %> workflow cancel run_20260101_120000_ab12cd --reason "wrong site" --json',
  ]
  static override args = { run: workflowArgs.run }
  static override flags = {
    ...serverFlags,
    reason: Flags.string({ description: 'why', default: 'cancelled by request' }),
  }

  async run() {
    const remote = await this.remote()
    const result = remote
      ? await remote.post<{ run_id: string; status: string; summary?: string }>(
          `/runs/${encodeURIComponent(this.args.run)}/cancel`,
          { reason: this.flags.reason },
        )
      : await this.local()
    if (!this.jsonEnabled())
      this.log(`${result.run_id} ${result.status}${result.summary ? `: ${result.summary}` : ''}`)
    return result
  }

  private async local() {
    const { state } = await (await this.workflows()).cancel(this.args.run, this.flags.reason)
    return { run_id: state.run_id, status: state.status, summary: state.summary }
  }
}
