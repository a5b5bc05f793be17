import { table } from 'driftcore'
import { ScaffoldToolCommand } from '../../../cli/tool-command.js'

interface TemplateRow {
  id: string
  source: string
  shadowed: boolean
  path: string
  description?: string
  parts?: string[]
  error?: string
}

export default class ScaffoldTemplatesList extends ScaffoldToolCommand<typeof ScaffoldTemplatesList> {
  static override summary =
    "List the templates: the project's (.driftcore/templates/) and the built-ins (templates/)"
  static override examples = [
    '<%= config.bin %> scaffold templates list',
    '<%= config.bin %> scaffold templates list --json',
  ]

  async run() {
    const out = await this.callWithApproval<{ templates: TemplateRow[] }>('scaffold.templates', {})
    const rows = out.templates.map((t) => ({
      ...t,
      source: t.shadowed ? `${t.source} (shadowed)` : t.source,
      description: t.error ? `ERROR: ${t.error}` : t.description,
    }))
    this.show(table(rows, ['id', 'source', 'parts', 'description']))
    return out
  }
}
