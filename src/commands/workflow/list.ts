import { WorkflowCommand } from '../../cli/workflow-command.js'
import { table } from '../../cli/format.js'

export default class WorkflowList extends WorkflowCommand<typeof WorkflowList> {
  static override summary = 'List runs, newest first'
  static override examples = ['<%= config.bin %> workflow list', '<%= config.bin %> workflow list --json']

  async run() {
    const runs = await (await this.workflows()).list()
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
