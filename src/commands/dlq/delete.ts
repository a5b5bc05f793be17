import { Args } from '@oclif/core'
import { WorkflowCommand } from '../../cli/workflow-command.js'

export default class DlqDelete extends WorkflowCommand<typeof DlqDelete> {
  static override summary = 'Delete a dead-lettered job (its run stays as it ended)'
  static override examples = ['<%= config.bin %> dlq delete dlq_0123456789ab']
  static override args = { id: Args.string({ description: 'DLQ entry id', required: true }) }

  async run() {
    const entry = await (await this.workflows()).deadLetters.remove(this.args.id)
    if (!this.jsonEnabled()) this.log(`deleted ${entry.id} (${entry.run_id} ${entry.step})`)
    return { deleted: entry.id }
  }
}
