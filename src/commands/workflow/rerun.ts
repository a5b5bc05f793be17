import { Args, Flags } from '@oclif/core'
import { WorkflowCommand, waitFlag } from '../../cli/workflow-command.js'

export default class WorkflowRerun extends WorkflowCommand<typeof WorkflowRerun> {
  static override summary =
    'Start a new run of a run’s workflow from one step, reusing the outputs of steps not downstream of it'
  static override examples = [
    '<%= config.bin %> workflow rerun run_20260101_120000_ab12cd --from deploy',
    '<%= config.bin %> workflow rerun run_20260101_120000_ab12cd --from build --wait --json',
  ]
  static override args = { run: Args.string({ description: 'the run to start from', required: true }) }
  static override flags = {
    from: Flags.string({
      description: 'the step to run again (with everything downstream of it)',
      required: true,
    }),
    wait: waitFlag,
  }

  async run() {
    const workflows = await this.workflows()
    const { workflow } = await workflows.status(this.args.run)
    return this.watch(workflow.order, (options) =>
      workflows.rerun(this.args.run, this.flags.from, { ...options, waitForApprovals: this.flags.wait }),
    )
  }
}
