import { z } from 'zod'
import { defineTool } from 'driftcore/api'
import { parseDrushJson } from '../drush/output.js'
import { runDrush } from '../drush/run.js'
import { asText } from '../util/text.js'
import { drushOnly, machineName } from './common.js'

const fieldRow = z.lazy(() =>
  z.object({
    name: z.string(),
    label: z.string(),
    description: z.string(),
    type: z.string(),
    required: z.boolean(),
    translatable: z.boolean(),
    cardinality: z.number().describe('-1 is unlimited'),
    default_value: z.unknown(),
    handler: z.string().nullable(),
    target_bundles: z.array(z.string()).nullable(),
    allowed_values: z.unknown(),
  }),
)

export const fieldInfo = defineTool({
  id: 'drush.fieldInfo',
  title: 'Fields of a bundle',
  description:
    'Runs `drush field:info <entity type> <bundle>`: the configurable fields of one bundle with type, cardinality, required, translatable, target bundles.',
  capability: 'drupal.read',
  risk: ['read'],
  requires: ['drush'],
  inProcess: drushOnly,
  input: () => z.object({ entity_type: machineName, bundle: machineName }),
  output: () => z.object({ entity_type: z.string(), bundle: z.string(), fields: z.array(fieldRow) }),
  async run(input, ctx) {
    const run = await runDrush(ctx, {
      command: 'field:info',
      args: [input.entity_type, input.bundle],
      options: { format: 'json', fields: '*' },
    })
    const rows = parseDrushJson(run.stdout, 'field:info')
    const fields = Object.entries(rows).map(([key, raw]) => {
      const r = (raw ?? {}) as Record<string, unknown>
      const targets = r.target_bundles
      return {
        name: typeof r.field_name === 'string' ? r.field_name : key,
        label: asText(r.label, key),
        description: asText(r.description),
        type: asText(r.field_type),
        required: r.required === true,
        translatable: r.translatable === true,
        cardinality: typeof r.cardinality === 'number' ? r.cardinality : Number(r.cardinality ?? 1),
        default_value: r.default_value ?? null,
        handler: typeof r.handler === 'string' ? r.handler : null,
        target_bundles: targets && typeof targets === 'object' ? Object.keys(targets).sort() : null,
        allowed_values: r.allowed_values ?? null,
      }
    })
    return { entity_type: input.entity_type, bundle: input.bundle, fields }
  },
})
