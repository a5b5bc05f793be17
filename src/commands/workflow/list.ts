import { WorkflowCommand } from '../../cli/workflow-command.js'
import { table } from '../../cli/format.js'
import { serverFlags } from '../../cli/remote.js'
import type { RunSummary } from '../../workflow/runs/index.js'

export default class WorkflowList extends WorkflowCommand<typeof WorkflowList> {
  static override summary = 'List runs, newest first'
  static override examples = [
    '<%= config.bin %> workflow list',
    '<%= config.bin %> workflow list --json',
    '<%= config.bin %> workflow list --server http://127.0.0.1:7800',
  ]
  static override flags = { ...serverFlags }

  async run() {
    const remote = await this.remote()
    const runs = remote
      ? await remote.get<(RunSummary & { interrupted?: true })[]>('/runs')
      : await (await this.workflows()).list()
    if (!this.jsonEnabled())
      this.log(
        table(
          runs.map((r) => ({
            ...r,
            status: r.interrupted ? 'interrupted' : r.status,
            actor: `${r.actor.type}:${r.actor.id}`,
          })),
          ['run_id', 'workflow', 'status', 'actor', 'created_at', 'summary'],
        ),
      )
    return runs
  }
}
