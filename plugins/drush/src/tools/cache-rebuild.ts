import { z } from 'zod'
import { defineTool } from 'driftcore/api'
import { runDrush } from '../drush/run.js'
import { drushFound, drushOnly, logsSchema, siteLock } from './common.js'

export const cacheRebuild = defineTool({
  id: 'drush.cacheRebuild',
  title: 'Rebuild Drupal caches',
  description: "Runs `drush cache:rebuild` on the site and returns Drush's log as structured entries.",
  capability: 'drupal.cache',
  risk: ['write'],
  idempotent: true,
  requires: ['drush'],
  inProcess: drushOnly,
  input: () => z.object({}),
  output: () => z.object({ ok: z.boolean(), logs: logsSchema, duration_ms: z.number() }),
  locks: () => siteLock('exclusive'),
  precheck: drushFound,
  // Its one effect is the Drush run: a call that fails before it keeps its approval.
  effects: 'marked',
  async run(_input, ctx) {
    const run = await runDrush(ctx, { command: 'cache:rebuild' })
    return { ok: !run.logs.some((l) => l.level === 'error'), logs: run.logs, duration_ms: run.duration_ms }
  },
})
