import { Flags } from '@oclif/core'
import { WorkflowCommand, workflowArgs } from '../../cli/workflow-command.js'

export default class WorkflowGraph extends WorkflowCommand<typeof WorkflowGraph> {
  static override summary = 'Draw a workflow’s DAG as Mermaid or Graphviz dot'
  static override examples = [
    '<%= config.bin %> workflow graph deploy.yaml',
    '<%= config.bin %> workflow graph deploy.yaml --format dot | dot -Tsvg > deploy.svg',
  ]
  static override args = {
    file: workflowArgs.file,
  }
  static override flags = {
    format: Flags.string({ options: ['mermaid', 'dot'], default: 'mermaid', description: 'output format' }),
  }

  async run() {
    const loaded = await (await this.workflows()).load(this.args.file)
    const { renderGraph } = await import('../../workflow/dag/render.js')
    const graph = renderGraph(loaded.definition, this.flags.format as 'mermaid' | 'dot')
    if (!this.jsonEnabled()) process.stdout.write(graph)
    return { format: this.flags.format, graph }
  }
}
