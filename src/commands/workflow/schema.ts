import { DriftcoreCommand } from '../../cli/base-command.js'

export default class WorkflowSchema extends DriftcoreCommand<typeof WorkflowSchema> {
  static override summary = 'Print the JSON Schema of the workflow format, for editors and CI'
  static override description =
    'Generated from the schema the validator uses. For YAML editors: # yaml-language-server: $schema=workflow.schema.json'
  static override examples = ['<%= config.bin %> workflow schema > workflow.schema.json']

  async run() {
    const { workflowJsonSchema } = await import('../../workflow/format/publish.js')
    const schema = workflowJsonSchema()
    if (!this.jsonEnabled()) this.log(JSON.stringify(schema, null, 2))
    return schema
  }
}
