import { z } from 'zod'
import { DriftcoreError } from '../../errors/driftcore-error.js'
import { ensureSuccess } from '../../launcher/launch.js'
import type { ToolDefinition } from '../../registry/types.js'
import type { PoolsConfig } from '../pools/route.js'
import { jobEnvelopeSchema } from '../job/envelope.js'

/**
 * Runs a job on a pool's external worker command. The command comes from the pools config,
 * never from the input, so a caller picks a pool but cannot choose what runs; the launcher
 * still checks it against launcher.allowlist. The worker reads the job envelope as JSON on
 * stdin and prints its output as JSON on stdout; a non-zero exit is a failure.
 */
export const poolExecTool: ToolDefinition = {
  id: 'pool.exec',
  title: "Run a job on a pool's worker command",
  description:
    'Runs the external worker command of a pool from the pools config with the job envelope on stdin and returns the JSON it prints.',
  capability: 'pool.exec',
  risk: ['exec'],
  // All of its work is the worker process; it only parses what the worker printed.
  inProcess: { paths: () => [], bounded: true },
  input: () => z.object({ pool: z.string(), job: jobEnvelopeSchema }),
  output: () => z.object({ output: z.unknown() }),
  async run(input: { pool: string; job: z.output<typeof jobEnvelopeSchema> }, ctx) {
    const pool = (ctx.config.pools as PoolsConfig | undefined)?.[input.pool]
    if (!pool || !('command' in pool.handler))
      throw new DriftcoreError('not_found', `pool "${input.pool}" has no worker command in the pools config`)
    const [file, ...args] = pool.handler.command
    const result = ensureSuccess(
      await ctx.launcher.run({
        file: file!,
        args,
        input: JSON.stringify(input.job),
        ...(pool.handler.timeout_ms ? { timeoutMs: pool.handler.timeout_ms } : {}),
      }),
      `worker ${pool.handler.command.join(' ')}`,
    )
    const text = result.stdout.trim()
    if (text === '') return { output: null }
    try {
      return { output: JSON.parse(text) as unknown }
    } catch {
      throw new DriftcoreError('internal', `worker ${file} printed something that is not JSON`, {
        details: { stdout: text.slice(0, 500) },
      })
    }
  },
}
