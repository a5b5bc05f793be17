import { WorkflowCommand } from '../../cli/workflow-command.js'
import { table } from '../../cli/format.js'

export default class DlqList extends WorkflowCommand<typeof DlqList> {
  static override summary =
    'List dead-lettered jobs: undeliverable (no_pool_mapping) or failed on every attempt'
  static override examples = ['<%= config.bin %> dlq list', '<%= config.bin %> dlq list --json']

  async run() {
    const entries = await (await this.workflows()).deadLetters.list()
    if (!this.jsonEnabled())
      this.log(
        table(entries, [
          'id',
          'run_id',
          'step',
          'topic',
          'error_code',
          'attempts',
          'last_state',
          'created_at',
        ]),
      )
    return entries
  }
}
