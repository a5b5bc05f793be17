import { WorkflowCommand, workflowArgs, waitFlag } from '../../cli/workflow-command.js'

export default class WorkflowResume extends WorkflowCommand<typeof WorkflowResume> {
  static override summary = 'Continue a suspended or interrupted run from its journal'
  static override description =
    'Finished steps keep their outputs; steps that were running when the process died are retried under their ' +
    'retry policy (at least once, each attempt with its own idempotency key); timers keep their deadline; ' +
    'approved steps continue.'
  static override examples = [
    '<%= config.bin %> workflow resume run_20260101_120000_ab12cd',
    '<%= config.bin %> workflow resume run_20260101_120000_ab12cd --wait --json',
  ]
  static override args = { run: workflowArgs.run }
  static override flags = {
    wait: waitFlag,
  }

  async run() {
    const workflows = await this.workflows()
    const { workflow } = await workflows.status(this.args.run)
    return this.watch(workflow.order, (options) =>
      workflows.resume(this.args.run, { ...options, waitForApprovals: this.flags.wait }),
    )
  }
}
