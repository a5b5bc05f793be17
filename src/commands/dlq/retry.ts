import { Args } from '@oclif/core'
import { WorkflowCommand, waitFlag } from '../../cli/workflow-command.js'

export default class DlqRetry extends WorkflowCommand<typeof DlqRetry> {
  static override summary = 'Send a dead-lettered job back to its run and continue the run'
  static override description =
    'The step is queued again with a new attempt (routing is looked up again, so a pool added since can take ' +
    'it); steps it blocked get their chance; the run continues in this process.'
  static override examples = [
    '<%= config.bin %> dlq retry dlq_0123456789ab',
    '<%= config.bin %> dlq retry dlq_0123456789ab --json',
  ]
  static override args = { id: Args.string({ description: 'DLQ entry id', required: true }) }
  static override flags = {
    wait: waitFlag,
  }

  async run() {
    const workflows = await this.workflows()
    const entry = await workflows.deadLetters.get(this.args.id)
    const { workflow } = await workflows.status(entry.run_id)
    return this.watch(workflow.order, (options) =>
      workflows.retryDeadLetter(this.args.id, { ...options, waitForApprovals: this.flags.wait }),
    )
  }
}
