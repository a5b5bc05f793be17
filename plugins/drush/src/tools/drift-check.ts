import { z } from 'zod'
import { defineTool, type ToolVerdict } from 'driftcore/api'
import { checkDrift } from '../drift/check.js'
import { nameList, sourceSpec, specPaths } from './common.js'

const side = z.lazy(() =>
  z.object({ source: z.string(), kind: z.string(), digest: z.string(), objects: z.number() }),
)
const change = z.lazy(() =>
  z.object({
    path: z.string(),
    kind: z.enum(['added', 'removed', 'changed']),
    before: z.unknown().optional(),
    after: z.unknown().optional(),
    items_added: z.array(z.unknown()).optional(),
    items_removed: z.array(z.unknown()).optional(),
  }),
)
const planItem = z.lazy(() =>
  z.object({
    name: z.string(),
    status: z.enum(['added', 'removed', 'changed']),
    effect: z.string(),
    recreated: z.literal(true).optional().describe('its uuid differs: an import deletes and recreates it'),
    needed_by: z.string().optional().describe('re-exported because this accepted object needs it'),
    refused: z
      .string()
      .optional()
      .describe('drift.accept_site names it, but accepting it would break the baseline'),
  }),
)

export const driftReportSchema = z.lazy(() =>
  z.object({
    drift: z.boolean(),
    baseline: side,
    current: side,
    summary: z.object({
      added: z.number(),
      removed: z.number(),
      changed: z.number(),
      noise_only: z.number(),
      equivalent: z.number(),
      unchanged: z.number(),
      ignored: z.number(),
    }),
    precision: z.enum(['keys', 'bytes']),
    objects: z.array(
      z.object({
        name: z.string(),
        file: z.string(),
        status: z.enum(['added', 'removed', 'changed']),
        changes: z.array(change).optional(),
        recreated: z.literal(true).optional(),
      }),
    ),
    noise_only: z.array(z.string()),
    equivalent: z.array(z.string()),
    plan: z.object({
      import: z.array(planItem),
      reexport: z.array(planItem),
      steps: z.array(
        z.object({ tool: z.string(), input: z.record(z.string(), z.unknown()), why: z.string() }),
      ),
      order: z
        .array(z.object({ op: z.enum(['delete', 'create', 'update']), name: z.string() }))
        .describe('what the import does to the site, in the order Drupal applies it'),
      notes: z.array(z.string()),
    }),
  }),
)

/** "no config drift (120 objects compared)" or "3 config objects drift: a, b, c". */
export function driftVerdict(report: z.output<typeof driftReportSchema>): ToolVerdict {
  if (!report.drift)
    return {
      ok: true,
      summary: `no config drift (${report.current.objects} objects compared with the baseline)`,
    }
  const n = report.objects.length
  return {
    ok: false,
    summary: `${n} config object${n === 1 ? '' : 's'} drift${n === 1 ? 's' : ''}: ${nameList(report.objects.map((o) => `${o.name} (${o.status})`))}`,
  }
}

export const driftCheck = defineTool({
  id: 'drift.check',
  title: 'Check config drift against a baseline',
  description:
    'Compares a current config export with a baseline object by object: added, removed, changed with YAML-aware key-path diffs (reordered keys are not drift; drift.noise keys such as uuid are ignored). Returns a summary and a remediation plan: which objects to import (restore the baseline) and which to re-export (accept the site), as tool calls.',
  capability: 'drift.read',
  risk: ['read'],
  inProcess: { paths: (input, env) => specPaths(env, [input.baseline, input.current]) },
  input: () =>
    z.object({
      baseline: sourceSpec,
      current: sourceSpec.describe('the current config, e.g. the record of drush.configExport'),
    }),
  output: () => driftReportSchema,
  // Drift found is a job not done for a step that should leave none (a recheck).
  verdict: (report) => driftVerdict(report),
  async run(input, ctx) {
    return checkDrift(input.baseline, input.current, ctx)
  },
})
