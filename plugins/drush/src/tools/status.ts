import { z } from 'zod'
import { defineTool } from 'driftcore/api'
import { parseDrushJson } from '../drush/output.js'
import { runDrush } from '../drush/run.js'
import { drushOnly } from './common.js'

// core:status --format=json prints every field, db-password included; such keys are dropped
// here, before anything is returned, recorded or printed.
const SENSITIVE = /(password|passwd|secret|token|key|salt)$/i

export const status = defineTool({
  id: 'drush.status',
  title: 'Drupal site status',
  description:
    "The site's `drush core:status`: Drupal and Drush versions, database driver and host, bootstrap state, theme, paths. The database password is removed.",
  capability: 'drupal.read',
  risk: ['read'],
  requires: ['drush'],
  inProcess: drushOnly,
  input: () => z.object({}),
  output: () =>
    z.object({
      status: z.record(z.string(), z.unknown()),
      removed: z.array(z.string()).describe('keys removed because they hold secrets'),
      bootstrapped: z.boolean(),
    }),
  async run(_input, ctx) {
    const run = await runDrush(ctx, { command: 'core:status', options: { format: 'json' } })
    const all = parseDrushJson(run.stdout, 'core:status')
    const removed = Object.keys(all).filter((k) => SENSITIVE.test(k))
    const status = Object.fromEntries(Object.entries(all).filter(([k]) => !SENSITIVE.test(k)))
    return { status, removed, bootstrapped: status.bootstrap === 'Successful' }
  },
})
