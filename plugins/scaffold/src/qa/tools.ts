import { defineTool, type ToolDefinition } from 'driftcore'
import { z } from 'zod'
import { pluginConfig } from '../config/sections.js'
import { boundedSiteWork } from '../paths/in-process.js'
import { sandboxLayout } from '../sandbox/layout.js'
import { exclusive } from '../sandbox/tools.js'
import { runChain } from './chain.js'

const junitSchema = z.object({
  file: z.string(),
  artifact: z.string(),
  tests: z.number(),
  failures: z.number(),
  errors: z.number(),
  skipped: z.number(),
  failed_cases: z.array(z.object({ suite: z.string(), name: z.string(), message: z.string() })),
})

const runTests = defineTool({
  id: 'qa.runTests',
  title: 'Run the QA chain',
  description:
    'Runs the configured QA chain (qa.chain: e.g. php -l over changed files, phpcs, phpunit) in the sandbox with no network and a read-only filesystem outside it. Per step: status, exit code, duration, output tail, full log and JUnit summary as artifacts; the whole report is an artifact too.',
  capability: 'qa.exec',
  risk: ['exec'],
  requires: ['bwrap'],
  // The chain runs as processes; it reads back only the (size-capped) JUnit reports.
  inProcess: boundedSiteWork,
  input: z.object({
    only: z.array(z.string()).optional().describe('run only these entries of qa.chain, in chain order'),
    stop_on_failure: z.boolean().optional().describe('override qa.stop_on_failure for this run'),
  }),
  output: z.object({
    ok: z.boolean(),
    stopped_early: z.boolean(),
    changed_files: z.array(z.string()),
    report: z.string(),
    steps: z.array(
      z.object({
        name: z.string(),
        command: z.array(z.string()),
        status: z.enum(['passed', 'failed', 'skipped']),
        reason: z.string().optional(),
        exit_code: z.number().nullable(),
        duration_ms: z.number(),
        timed_out: z.boolean(),
        runs: z.number(),
        output_tail: z.string(),
        log: z.string().optional(),
        junit: junitSchema.optional(),
      }),
    ),
  }),
  locks: exclusive,
  async run(input, ctx) {
    return runChain(ctx, sandboxLayout(ctx.paths, ctx.config), pluginConfig(ctx.config).qa, {
      ...(input.only ? { only: input.only } : {}),
      ...(input.stop_on_failure === undefined ? {} : { stopOnFailure: input.stop_on_failure }),
    })
  },
})

export const qaTools: ToolDefinition[] = [runTests]
