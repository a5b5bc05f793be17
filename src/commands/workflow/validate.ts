import { WorkflowCommand, workflowArgs } from '../../cli/workflow-command.js'

export default class WorkflowValidate extends WorkflowCommand<typeof WorkflowValidate> {
  static override summary =
    'Check a workflow file: schema, DAG, expressions, tools and sinks, with errors at file:line:col'
  static override examples = [
    '<%= config.bin %> workflow validate deploy.yaml',
    '<%= config.bin %> workflow validate nightly --json',
  ]
  static override args = {
    file: workflowArgs.file,
  }

  async run() {
    const loaded = await (await this.workflows()).load(this.args.file)
    const result = {
      valid: true,
      file: loaded.file,
      name: loaded.definition.name,
      sha256: loaded.sha256,
      steps: loaded.compiled.order.map((id) => {
        const s = loaded.compiled.steps.get(id)!
        return { id, type: s.def.type, depends_on: s.dependencies }
      }),
    }
    if (!this.jsonEnabled())
      this.log(`${loaded.file}: valid workflow "${result.name}", ${result.steps.length} steps`)
    return result
  }
}
