import { createHmac } from 'node:crypto'
import { appendFile, mkdir } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import type { CoreConfig } from '../../config/schema.js'
import { DriftcoreError } from '../../errors/driftcore-error.js'
import type { ToolContext, ToolDefinition } from '../../registry/types.js'

type Sink = CoreConfig['workflow']['notify']['sinks'][string]

const input = z.object({
  message: z.string().min(1),
  sinks: z.array(z.string()).min(1),
  data: z.record(z.string(), z.unknown()).optional(),
  run_id: z.string().optional(),
  step: z.string().optional(),
})
type NotifyInput = z.output<typeof input>

/**
 * A workflow's notify step, as a tool so it is decided and audited like every action. The
 * `stdout` sink is the caller's to print; files must stay inside the project; a webhook body
 * is signed with HMAC-SHA256 over `<timestamp>.<body>`, keyed by a secret reference.
 */
export const notifyTool: ToolDefinition = {
  id: 'workflow.notify',
  title: 'Send a workflow notification',
  description:
    'Delivers a message to the sinks configured under workflow.notify.sinks (JSON-lines files, HMAC-signed webhooks); stdout is printed by the caller.',
  capability: 'workflow.notify',
  risk: ['write', 'network'],
  input,
  output: z.object({ delivered: z.array(z.object({ sink: z.string(), status: z.number().optional() })) }),
  async run(args: NotifyInput, ctx) {
    const sinks = (ctx.config.workflow as CoreConfig['workflow']).notify.sinks
    const payload = { at: new Date().toISOString(), ...args }
    const delivered: { sink: string; status?: number }[] = []
    for (const name of args.sinks) {
      if (name === 'stdout') {
        delivered.push({ sink: name })
        continue
      }
      const sink = sinks[name]
      if (!sink) throw new DriftcoreError('not_found', `no notify sink "${name}" under workflow.notify.sinks`)
      delivered.push({ sink: name, ...(await deliver(sink, payload, ctx)) })
    }
    return { delivered }
  },
}

async function deliver(sink: Sink, payload: object, ctx: ToolContext): Promise<{ status?: number }> {
  const body = JSON.stringify(payload)
  if (sink.type === 'file') {
    const file = path.resolve(ctx.paths.root, sink.path)
    const relative = path.relative(ctx.paths.root, file)
    if (relative.startsWith('..') || path.isAbsolute(relative))
      throw new DriftcoreError('forbidden', `notify file ${sink.path} is outside the project`)
    await mkdir(path.dirname(file), { recursive: true })
    await appendFile(file, body + '\n', { mode: 0o600 })
    return {}
  }
  const key = await ctx.secrets.resolve(sink.secret)
  const timestamp = String(Math.floor(Date.now() / 1000))
  const signature = createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')
  let response: Response
  try {
    response = await fetch(sink.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-driftcore-timestamp': timestamp,
        'x-driftcore-signature': `sha256=${signature}`,
      },
      body,
      signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(sink.timeout_ms)]),
      redirect: 'error',
    })
  } catch (error) {
    if (ctx.signal.aborted) throw error
    throw new DriftcoreError(
      'unavailable',
      `webhook ${new URL(sink.url).host} unreachable: ${(error as Error).message}`,
      {
        cause: error,
      },
    )
  }
  await response.body?.cancel()
  if (!response.ok)
    throw new DriftcoreError('unavailable', `webhook ${new URL(sink.url).host} answered ${response.status}`)
  return { status: response.status }
}
