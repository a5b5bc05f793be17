import { Args } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { Registry } from '../../registry/registry.js'

export default class ToolsDescribe extends DriftcoreCommand<typeof ToolsDescribe> {
  static override summary = "Show a tool's contract: description, risk, input and output JSON Schemas"
  static override examples = [
    '<%= config.bin %> tools describe audit.verify',
    '<%= config.bin %> tools describe policy.simulate --json',
  ]
  static override args = { id: Args.string({ description: 'tool id', required: true }) }

  async run() {
    const registry = await this.registry()
    const tool = registry.tool(this.args.id)
    const description = {
      id: tool.id,
      title: tool.title ?? null,
      description: tool.description,
      capability: tool.capability,
      risk: tool.risk,
      requires: tool.requires ?? [],
      plugin: tool.plugin,
      input_schema: Registry.jsonSchema(tool.input, 'input'),
      output_schema: Registry.jsonSchema(tool.output, 'output'),
    }
    if (!this.jsonEnabled()) {
      this.log(`${tool.id}${tool.title ? ` — ${tool.title}` : ''}\n\n${tool.description}\n`)
      this.log(
        `capability: ${tool.capability}\nrisk: ${tool.risk.join(', ')}\nrequires: ${(tool.requires ?? []).join(', ') || '-'}\nplugin: ${tool.plugin}\n`,
      )
      this.log(`input schema:\n${JSON.stringify(description.input_schema, null, 2)}\n`)
      this.log(`output schema:\n${JSON.stringify(description.output_schema, null, 2)}`)
    }
    return description
  }
}
