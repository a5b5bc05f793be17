import { z } from 'zod'
import { defineTool } from 'driftcore/api'
import { parseDrushJson } from '../drush/output.js'
import { runDrush } from '../drush/run.js'
import { asText } from '../util/text.js'
import { drushOnly, logsSchema } from './common.js'

export const configStatus = defineTool({
  id: 'drush.configStatus',
  title: 'Config status (database against the sync folder)',
  description:
    "Runs `drush config:status`: which config objects differ between the site's database and its sync folder.",
  capability: 'drupal.read',
  risk: ['read'],
  requires: ['drush'],
  inProcess: drushOnly,
  input: () =>
    z.object({
      prefix: z
        .string()
        .regex(/^[a-z0-9_.]+$/)
        .optional()
        .describe('only objects whose name starts with this, e.g. node.type.'),
    }),
  output: () =>
    z.object({
      in_sync: z.boolean(),
      differences: z.array(z.object({ name: z.string(), state: z.string() })),
      logs: logsSchema,
    }),
  async run(input, ctx) {
    const run = await runDrush(ctx, {
      command: 'config:status',
      options: { format: 'json', ...(input.prefix ? { prefix: input.prefix } : {}) },
    })
    const rows = parseDrushJson(run.stdout, 'config:status')
    const differences = Object.entries(rows)
      .map(([key, row]) => {
        const r = (row ?? {}) as { name?: unknown; state?: unknown }
        return { name: typeof r.name === 'string' ? r.name : key, state: asText(r.state, 'unknown') }
      })
      .filter((d) => d.state !== 'Identical')
      .sort((a, b) => a.name.localeCompare(b.name))
    return { in_sync: differences.length === 0, differences, logs: run.logs }
  },
})
