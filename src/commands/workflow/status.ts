import { serverFlags } from '../../cli/remote.js'
import { WorkflowCommand, workflowArgs } from '../../cli/workflow-command.js'
import type { RunState } from '../../workflow/journal/state.js'
import type { RunOwner } from '../../workflow/runs/owner.js'

export default class WorkflowStatus extends WorkflowCommand<typeof WorkflowStatus> {
  static override summary =
    "Show a run's status, each step's state and, once it finished, its result in words"
  static override examples = [
    '<%= config.bin %> workflow status run_20260101_120000_ab12cd',
    '<%= config.bin %> workflow status run_20260101_120000_ab12cd --json',
  ]
  static override args = { run: workflowArgs.run }
  static override flags = { ...serverFlags }

  async run() {
    const remote = await this.remote()
    const { status, order } = remote
      ? await remote.get<{ status: RunState & { owner?: RunOwner }; order: string[] }>(
          `/runs/${encodeURIComponent(this.args.run)}`,
        )
      : await this.local()
    if (!this.jsonEnabled()) {
      const { statusText } = await import('../../workflow/view/format.js')
      this.log(statusText(status, order, status.owner))
    }
    return status
  }

  private async local() {
    const { state, workflow, owner } = await (await this.workflows()).status(this.args.run)
    return { status: { ...state, ...(owner ? { owner } : {}) }, order: workflow.order }
  }
}
