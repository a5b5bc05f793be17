import { createHmac } from 'node:crypto'
import { appendFile, mkdir } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import type { CoreConfig } from '../../config/schema.js'
import { DriftcoreError } from '../../errors/driftcore-error.js'
import type { ToolContext, ToolDefinition } from '../../registry/types.js'

type Sink = CoreConfig['workflow']['notify']['sinks'][string]

const input = () =>
  z.object({
    message: z.string().min(1),
    sinks: z.array(z.string()).min(1),
    data: z.record(z.string(), z.unknown()).optional(),
    run_id: z.string().optional(),
    step: z.string().optional(),
  })
type NotifyInput = z.output<ReturnType<typeof input>>

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
  output: () =>
    z.object({ delivered: z.array(z.object({ sink: z.string(), status: z.number().optional() })) }),
  // It posts webhooks itself, so it checks network: none itself, before the first delivery.
  inProcess: {
    network: 'checked',
    paths: (args: NotifyInput, env) =>
      args.sinks.flatMap((name) => {
        const sink = sinksOf(env.config)[name]
        return sink?.type === 'file' ? [path.resolve(env.paths.root, sink.path)] : []
      }),
    bounded: true,
  },
  async run(args: NotifyInput, ctx) {
    const sinks = sinksOf(ctx.config)
    const chosen = args.sinks.map((name) => {
      if (name === 'stdout') return { name }
      const sink = sinks[name]
      if (!sink) throw new DriftcoreError('not_found', `no notify sink "${name}" under workflow.notify.sinks`)
      return { name, sink }
    })
    const webhooks = chosen.filter((c) => c.sink?.type === 'webhook').map((c) => c.name)
    if (ctx.constraints.network === 'none' && webhooks.length > 0) {
      throw new DriftcoreError(
        'unavailable',
        `workflow.notify runs under network: none, so webhook sink ${webhooks.join(', ')} cannot be reached; nothing was delivered`,
        {
          hint: 'send this notification to file or stdout sinks, or let the policy allow network for workflow.notify',
          details: { constraints: ['network: none'], sinks: webhooks },
        },
      )
    }
    const payload = { at: new Date().toISOString(), ...args }
    const delivered: { sink: string; status?: number }[] = []
    for (const { name, sink } of chosen) {
      delivered.push({ sink: name, ...(sink ? await deliver(sink, payload, ctx) : {}) })
    }
    return { delivered }
  },
}

function sinksOf(config: Readonly<Record<string, unknown>>): Record<string, Sink> {
  return (config.workflow as CoreConfig['workflow']).notify.sinks
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
