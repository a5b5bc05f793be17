import { Flags } from '@oclif/core'
import { WorkflowCommand, workflowArgs } from '../../cli/workflow-command.js'

export default class WorkflowCancel extends WorkflowCommand<typeof WorkflowCancel> {
  static override summary =
    'Cancel a run: running steps are aborted and their processes killed, the rest cancelled'
  static override examples = [
    '<%= config.bin %> workflow cancel run_20260101_120000_ab12cd',
    '<%= config.bin %> workflow cancel run_20260101_120000_ab12cd --reason "wrong site" --json',
  ]
  static override args = { run: workflowArgs.run }
  static override flags = { reason: Flags.string({ description: 'why', default: 'cancelled by request' }) }

  async run() {
    const { state } = await (await this.workflows()).cancel(this.args.run, this.flags.reason)
    if (!this.jsonEnabled())
      this.log(`${state.run_id} ${state.status}${state.summary ? `: ${state.summary}` : ''}`)
    return { run_id: state.run_id, status: state.status, summary: state.summary }
  }
}
