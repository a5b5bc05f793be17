import { Args } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { DriftcoreError } from '../../errors/driftcore-error.js'

export default class ToolsDescribe extends DriftcoreCommand<typeof ToolsDescribe> {
  static override summary = "Show a tool's contract: description, risk, input and output JSON Schemas"
  static override examples = [
    '<%= config.bin %> tools describe audit.verify',
    '<%= config.bin %> tools describe policy.simulate --json',
  ]
  static override args = { id: Args.string({ description: 'tool id', required: true }) }

  async run() {
    const { tools } = await this.catalog()
    const tool = tools.find((t) => t.id === this.args.id)
    if (!tool) {
      throw new DriftcoreError('not_found', `unknown tool "${this.args.id}"`, {
        hint: 'list tools with `driftcore tools list`',
      })
    }
    if (!this.jsonEnabled()) {
      this.log(`${tool.id}${tool.title ? ` — ${tool.title}` : ''}\n\n${tool.description}\n`)
      this.log(
        `capability: ${tool.capability}\nrisk: ${tool.risk.join(', ')}\nrequires: ${tool.requires.join(', ') || '-'}\nplugin: ${tool.plugin}\n`,
      )
      this.log(`input schema:\n${JSON.stringify(tool.input_schema, null, 2)}\n`)
      this.log(`output schema:\n${JSON.stringify(tool.output_schema, null, 2)}`)
    }
    return tool
  }
}
