import { DriftcoreError } from '../../errors/driftcore-error.js'
import { serverFlags } from '../../cli/remote.js'
import { WorkflowCommand, workflowArgs, waitFlag } from '../../cli/workflow-command.js'
import type { JournalEvent } from '../../workflow/journal/events.js'
import type { RunState } from '../../workflow/journal/state.js'

export default class WorkflowResume extends WorkflowCommand<typeof WorkflowResume> {
  static override summary = 'Continue a suspended or interrupted run from its journal'
  static override description =
    'Finished steps keep their outputs; steps that were running when the process died are retried under their ' +
    'retry policy (at least once, each attempt with its own idempotency key); timers keep their deadline; ' +
    'approved steps continue.'
  static override examples = [
    '<%= config.bin %> workflow resume run_20260101_120000_ab12cd',
    '<%= config.bin %> workflow resume run_20260101_120000_ab12cd --wait --json',
    '<%= config.bin %> workflow resume run_20260101_120000_ab12cd --server http://127.0.0.1:7800',
  ]
  static override args = { run: workflowArgs.run }
  static override flags = {
    ...serverFlags,
    wait: waitFlag,
  }

  async run() {
    const remote = await this.remote()
    if (remote) {
      if (this.flags.wait)
        throw new DriftcoreError('invalid_input', '--wait does not apply with --server', {
          hint: 'the server suspends the run on an approval; resume it again once approved',
        })
      // The run goes on in the server's process; its events come back when it stops.
      const resumed = await remote.post<{ events: JournalEvent[]; state: RunState; order: string[] }>(
        `/runs/${encodeURIComponent(this.args.run)}/resume`,
        {},
      )
      const view = await this.presenter(resumed.order)
      for (const event of resumed.events) view.onEvent(event, resumed.state)
      view.done()
      return this.outcome(resumed.state)
    }
    const workflows = await this.workflows()
    const { workflow } = await workflows.status(this.args.run)
    return this.watch(workflow.order, (options) =>
      workflows.resume(this.args.run, { ...options, waitForApprovals: this.flags.wait }),
    )
  }
}
