import { Args } from '@oclif/core'
import { WorkflowCommand } from '../../cli/workflow-command.js'
import { yamlish } from '../../cli/format.js'

export default class DlqShow extends WorkflowCommand<typeof DlqShow> {
  static override summary = 'Show a dead-lettered job: error, last state, attempts and its job envelope'
  static override examples = ['<%= config.bin %> dlq show dlq_0123456789ab']
  static override args = { id: Args.string({ description: 'DLQ entry id', required: true }) }

  async run() {
    const entry = await (await this.workflows()).deadLetters.get(this.args.id)
    if (!this.jsonEnabled()) this.log(yamlish(entry))
    return entry
  }
}
