import { defineTool, type ToolDefinition, type ToolVerdict } from 'driftcore/api'
import { z } from 'zod'
import { pluginConfig } from '../config/sections.js'
import { boundedSiteWork } from '../paths/in-process.js'
import { sandboxLayout } from '../sandbox/layout.js'
import { exclusive } from '../sandbox/tools.js'
import { runChain } from './chain.js'

const junitSchema = z.lazy(() =>
  z.object({
    file: z.string(),
    artifact: z.string(),
    tests: z.number(),
    failures: z.number(),
    errors: z.number(),
    skipped: z.number(),
    failed_cases: z.array(z.object({ suite: z.string(), name: z.string(), message: z.string() })),
  }),
)

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
  input: () =>
    z.object({
      only: z.array(z.string()).optional().describe('run only these entries of qa.chain, in chain order'),
      stop_on_failure: z.boolean().optional().describe('override qa.stop_on_failure for this run'),
    }),
  output: () =>
    z.object({
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
  // A failed chain is a job not done: a workflow step running it fails (or warns).
  verdict: (out) => qaVerdict(out),
  async run(input, ctx) {
    return runChain(ctx, sandboxLayout(ctx.paths, ctx.config), pluginConfig(ctx.config).qa, {
      ...(input.only ? { only: input.only } : {}),
      ...(input.stop_on_failure === undefined ? {} : { stopOnFailure: input.stop_on_failure }),
    })
  },
})

export const qaTools: ToolDefinition[] = [runTests]

interface QaOutcome {
  ok: boolean
  stopped_early: boolean
  changed_files: string[]
  steps: {
    name: string
    status: string
    exit_code: number | null
    timed_out: boolean
    output_tail: string
    junit?: { tests: number; failures: number; errors: number }
  }[]
}

/** "QA passed: php-lint, phpunit (12 tests)" or "QA failed: php-lint (exit 255: PHP Parse error: …)". */
export function qaVerdict(out: QaOutcome): ToolVerdict {
  const ran = out.steps.filter((s) => s.status !== 'skipped')
  const tests = ran.reduce((n, s) => n + (s.junit?.tests ?? 0), 0)
  const files = `${out.changed_files.length} changed file${out.changed_files.length === 1 ? '' : 's'}`
  if (out.ok)
    return {
      ok: true,
      summary: `QA passed: ${ran.map((s) => s.name).join(', ') || 'no checks'} (${files}${tests ? `, ${tests} tests` : ''})`,
    }
  const failed = out.steps.filter((s) => s.status === 'failed')
  const why = failed.map((s) => {
    const junit =
      s.junit && s.junit.failures + s.junit.errors > 0
        ? `${s.junit.failures + s.junit.errors} of ${s.junit.tests} tests failed`
        : undefined
    const tail = s.output_tail
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '' && !/^No syntax errors/.test(l))
    const exit = s.timed_out ? 'timed out' : `exit ${s.exit_code ?? '?'}`
    return `${s.name} (${[exit, junit ?? tail].filter(Boolean).join(': ')})`
  })
  return {
    ok: false,
    summary: `QA failed: ${why.join(', ')}${out.stopped_early ? '; the chain stopped there' : ''}`,
  }
}
