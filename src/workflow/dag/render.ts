import type { WorkflowDefinition } from '../format/schema.js'

export type GraphFormat = 'mermaid' | 'dot'

function label(step: WorkflowDefinition['steps'][number]): string {
  const what =
    step.type === 'worker'
      ? (step.tool ?? `topic ${step.topic}`)
      : step.type === 'delay'
        ? 'delay'
        : step.type
  return `${step.name ?? step.id}\\n${what}${step.when ? '\\nwhen …' : ''}`
}

const SHAPES: Record<string, [string, string]> = {
  worker: ['[', ']'],
  approval: ['{{', '}}'],
  delay: ['([', '])'],
  condition: ['{', '}'],
  notify: ['>', ']'],
}

/** The DAG as a Mermaid flowchart or a Graphviz digraph: edges point from a step to what waits for it. */
export function renderGraph(definition: WorkflowDefinition, format: GraphFormat): string {
  const steps = definition.steps
  if (format === 'mermaid') {
    const lines = [`flowchart TD`]
    for (const step of steps) {
      const [open, close] = SHAPES[step.type]!
      lines.push(
        `  ${step.id}${open}"${label(step).replaceAll('\\n', '<br/>').replaceAll('"', '#quot;')}"${close}`,
      )
    }
    for (const step of steps) for (const dep of step.depends_on) lines.push(`  ${dep} --> ${step.id}`)
    return lines.join('\n') + '\n'
  }
  const shape: Record<string, string> = {
    worker: 'box',
    approval: 'hexagon',
    delay: 'ellipse',
    condition: 'diamond',
    notify: 'cds',
  }
  const lines = [`digraph "${definition.name}" {`, '  rankdir=TB;', '  node [fontname="Helvetica"];']
  for (const step of steps)
    lines.push(`  ${step.id} [shape=${shape[step.type]}, label="${label(step).replaceAll('"', '\\"')}"];`)
  for (const step of steps) for (const dep of step.depends_on) lines.push(`  ${dep} -> ${step.id};`)
  lines.push('}')
  return lines.join('\n') + '\n'
}
