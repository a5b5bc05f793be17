import { WorkflowCommand, workflowArgs } from '../../cli/workflow-command.js'

export default class WorkflowTimeline extends WorkflowCommand<typeof WorkflowTimeline> {
  static override summary =
    'Every transition of a run: time, step, attempt, decision, and pointers (trace, approval, artifact, DLQ)'
  static override description =
    'The trace id of an attempt finds its audit records: driftcore audit query --trace TRACE.'
  static override examples = [
    '<%= config.bin %> workflow timeline run_20260101_120000_ab12cd',
    '<%= config.bin %> workflow timeline run_20260101_120000_ab12cd --json',
  ]
  static override args = { run: workflowArgs.run }

  async run() {
    const events = await (await this.workflows()).timeline(this.args.run)
    if (!this.jsonEnabled()) {
      const { eventLine } = await import('../../workflow/view/format.js')
      for (const event of events) this.log(eventLine(event))
    }
    return events
  }
}
