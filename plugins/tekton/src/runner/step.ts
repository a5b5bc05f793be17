import { writeFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  DriftcoreError,
  durationMs,
  workflowExpressions,
  type StepDefinition,
  type ToolVerdict,
} from 'driftcore/api'
import { callRemoteTool, type RemoteResult } from './call.js'

/** Tekton results share one 4 KiB termination message; past this an output goes as a pointer. */
export const RESULT_LIMIT = 3072
/** The key of a result that stands for an output too large to pass. */
export const POINTER = 'driftcore.dev/too-large'

export interface StepRun {
  workflow: string
  definition: StepDefinition & { route?: { tool?: string; pool?: string } }
  inputs: unknown
  upstream: Record<string, { status: string; output: unknown }>
  server: string
  token: string
  runId: string
  retryCount: number
  statusFile: string
  outputFile: string
  /** How often to ask again while a person has not decided yet. */
  approvalPollMs?: number
  /** The tool's verdict on an output, from the plugins in the image, as the engine judges it. */
  verdictOf?: (tool: string, output: unknown) => Promise<ToolVerdict | undefined>
}

/**
 * A worker's tool verdict under its `on_verdict`, as the engine applies it: `fail` fails the
 * step (`unmet`) naming the tool's summary; `ignore` only reports. (`warn` is refused when
 * compiling: Tekton has no succeeded-with-warnings.)
 */
export function judgeVerdict(where: string, onVerdict: string, verdict: ToolVerdict | undefined): void {
  if (verdict && !verdict.ok && onVerdict === 'fail')
    throw new DriftcoreError('invalid_input', `${where}: ${verdict.summary}`, {
      details: { code: 'unmet', verdict },
    })
}

/** `id=status:output` arguments, as the pipeline passes them (one per step read). */
export function parseUpstream(args: readonly string[]): Record<string, { status: string; output: unknown }> {
  const out: Record<string, { status: string; output: unknown }> = {}
  for (const arg of args) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=([a-z_]+):([\s\S]*)$/.exec(arg)
    if (!m)
      throw new DriftcoreError(
        'invalid_input',
        `upstream argument ${arg.slice(0, 80)} is not id=status:output`,
      )
    let output: unknown
    try {
      output = JSON.parse(m[3]!)
    } catch (error) {
      throw new DriftcoreError('invalid_input', `the output of step ${m[1]} is not JSON`, { cause: error })
    }
    out[m[1]!] = { status: m[2]!, output }
  }
  return out
}

/**
 * One step in a pod: decide `when:`, evaluate the templates, make the call on the service, and
 * write the Tekton results. A skipped step succeeds with status `skipped` and output null, so
 * its readers see what they would see locally.
 */
export async function runStep(run: StepRun): Promise<{ status: string; output: unknown }> {
  const x = await workflowExpressions()
  const def = run.definition
  const where = `${run.workflow}: steps.${def.id}`
  const scope = {
    inputs: run.inputs,
    steps: run.upstream,
    run: {
      id: run.runId,
      workflow: run.workflow,
      actor: { type: 'agent', id: `driftcore-tekton/${run.runId}` },
    },
  }
  // A reader of an output that did not fit in a result fails, naming it, rather than
  // evaluating its expressions over the pointer (fetching the artifact is not built yet).
  for (const [id, s] of Object.entries(run.upstream))
    if (s.output !== null && typeof s.output === 'object' && POINTER in s.output)
      throw new DriftcoreError(
        'unavailable',
        `${where} reads steps.${id}.output, which was too large for a Tekton result`,
        {
          details: { step: id, ...(s.output as Record<string, object>)[POINTER] },
          hint: `keep what ${id} gives under ${RESULT_LIMIT} bytes of JSON, or run the workflow locally`,
        },
      )
  const context = x.context(scope)
  const finish = async (status: string, output: unknown, artifact?: string) => {
    const text = JSON.stringify(output ?? null)
    const result =
      Buffer.byteLength(text) <= RESULT_LIMIT
        ? text
        : JSON.stringify({ [POINTER]: { artifact: artifact ?? null, bytes: Buffer.byteLength(text) } })
    await writeFile(run.statusFile, status)
    await writeFile(run.outputFile, result)
    return { status, output }
  }
  if (def.when !== undefined && x.expression(def.when, `${where}.when`)(context) !== true)
    return finish('skipped', null)

  if (def.type === 'worker' && run.retryCount > 0 && def.retry) {
    const b = def.retry.backoff
    const delay = Math.min(durationMs(b.max), durationMs(b.initial) * b.factor ** (run.retryCount - 1))
    await sleep(delay * (1 + b.jitter * (2 * Math.random() - 1)))
  }
  const call = (tool: string, input: unknown) => callWaiting(run, tool, input)
  switch (def.type) {
    case 'condition': {
      const value = x.expression(def.expression, `${where}.expression`)(context)
      if (typeof value !== 'boolean')
        throw new DriftcoreError(
          'invalid_input',
          `${where}.expression gave ${JSON.stringify(value)}, not a boolean`,
        )
      checkExpect(x, def.expect, where, scope, value)
      return finish('succeeded', value)
    }
    case 'delay': {
      const until =
        def.until !== undefined ? String(x.template(def.until, `${where}.until`)(context)) : undefined
      const end = until !== undefined ? Date.parse(until) : Date.now() + durationMs(def.duration!)
      if (Number.isNaN(end))
        throw new DriftcoreError('invalid_input', `${where}.until: ${until} is not a time`)
      await sleep(Math.max(0, end - Date.now()))
      return finish('succeeded', { until: new Date(end).toISOString() })
    }
    case 'notify': {
      const message = String(x.template(def.message, `${where}.message`)(context))
      const data = def.data ? x.template(def.data, `${where}.data`)(context) : undefined
      const r = await call('workflow.notify', {
        message,
        sinks: def.sinks,
        ...(data ? { data } : {}),
        run_id: run.runId,
        step: def.id,
      })
      return finish('succeeded', { message, ...(r.output as object) })
    }
    case 'worker': {
      const tool = def.tool ?? def.route?.tool
      if (!tool)
        throw new DriftcoreError(
          'unavailable',
          `${where}: a topic routed to a pool command runs only in a local run`,
          {
            hint: 'route the topic to a tool (pools.<name>.handler.tool), or name the tool in the step',
          },
        )
      const raw = x.template(def.with, `${where}.with`)(context) as Record<string, unknown>
      const input = Object.fromEntries(Object.entries(raw ?? {}).filter(([, v]) => v !== null))
      const r = await call(tool, input)
      judgeVerdict(where, def.on_verdict, await run.verdictOf?.(tool, r.output))
      checkExpect(x, def.expect, where, scope, r.output)
      return finish('succeeded', r.output, r.artifact)
    }
    case 'approval': {
      const message = String(x.template(def.message, `${where}.message`)(context))
      const ask = {
        workflow: run.workflow,
        step: def.id,
        run_id: run.runId,
        message,
        ...(def.approvers ? { approvers: def.approvers } : {}),
        ...(def.timeout ? { ttl_ms: durationMs(def.timeout) } : {}),
      }
      // The service opens the request once for this run and step; asking again reports it.
      for (;;) {
        const r = (await call('approvals.request', ask)).output as {
          id: string
          status: string
          decided_by?: { type: string; id: string }
          comment?: string
        }
        if (r.status === 'approved')
          return finish('succeeded', {
            approved: true,
            approval_id: r.id,
            ...(r.decided_by ? { decided_by: r.decided_by } : {}),
            ...(r.comment ? { comment: r.comment } : {}),
          })
        if (r.status !== 'pending')
          throw new DriftcoreError(
            r.status === 'expired' ? 'timeout' : 'forbidden',
            `${where}: approval ${r.id} was ${r.status}${r.decided_by ? ` by ${r.decided_by.type}:${r.decided_by.id}` : ''}`,
            {
              details: { approval_id: r.id, status: r.status },
              hint: `see driftcore approvals show ${r.id} on the service; run the workflow again to ask anew`,
            },
          )
        process.stderr.write(`${where}: waiting for a person to approve ${r.id}\n`)
        await sleep(run.approvalPollMs ?? 10_000)
      }
    }
  }
}

/**
 * A call the service's policy sends to a person answers approval_required with the approval id;
 * once a person approves it, the same call (same tool, input and client) is let through, so the
 * runner asks again until then. The task's timeout bounds the wait.
 */
async function callWaiting(run: StepRun, tool: string, input: unknown): Promise<RemoteResult> {
  const client = `driftcore-tekton.${run.runId}`.slice(0, 64)
  for (;;) {
    try {
      return await callRemoteTool(run.server, run.token, client, tool, input)
    } catch (error) {
      if (!(error instanceof DriftcoreError) || error.code !== 'approval_required') throw error
      process.stderr.write(
        `${tool}: waiting for a person to approve ${JSON.stringify(error.details.approval_id ?? null)}\n`,
      )
      await sleep(run.approvalPollMs ?? 10_000)
    }
  }
}

function checkExpect(
  x: Awaited<ReturnType<typeof workflowExpressions>>,
  expect: string | string[] | undefined,
  where: string,
  scope: Parameters<Awaited<ReturnType<typeof workflowExpressions>>['context']>[0],
  output: unknown,
): void {
  if (expect === undefined) return
  const context = x.context({ ...scope, output })
  for (const text of Array.isArray(expect) ? expect : [expect])
    if (x.expression(text, `${where}.expect`, ['inputs', 'steps', 'run', 'env', 'output'])(context) !== true)
      throw new DriftcoreError('invalid_input', `${where}: expect ${text} is false`, {
        details: { code: 'unmet' },
      })
}
