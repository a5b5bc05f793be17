import { WorkflowCommand, workflowArgs } from '../../cli/workflow-command.js'

export default class WorkflowStatus extends WorkflowCommand<typeof WorkflowStatus> {
  static override summary = "Show a run's status and each step's state"
  static override examples = [
    '<%= config.bin %> workflow status run_20260101_120000_ab12cd',
    '<%= config.bin %> workflow status run_20260101_120000_ab12cd --json',
  ]
  static override args = { run: workflowArgs.run }

  async run() {
    const { state, workflow, owner } = await (await this.workflows()).status(this.args.run)
    if (!this.jsonEnabled()) {
      const { statusText } = await import('../../workflow/view/format.js')
      this.log(statusText(state, workflow.order, owner))
    }
    return { ...state, ...(owner ? { owner } : {}) }
  }
}
