import {
  DriftcoreError,
  isDriftcoreError,
  type InvokeOptions,
  type InvokeResult,
  type Kernel,
} from 'driftcore/api'
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js'
import {
  ErrorCode,
  McpError,
  type CallToolRequest,
  type CallToolResult,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js'
import { askClient, findApproved } from './approval.js'
import { catalogOf } from './catalog.js'
import { toolContent } from './content.js'
import { callLogger } from './logging.js'
import { errorResult, successResult } from './results.js'
import type { McpSession } from './session.js'

export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>

/** Set in a request's `_meta` to use an approval a person granted (the generated SDK does). */
export const APPROVAL_META = 'driftcore/approval_id'

/**
 * tools/call: every call goes through the gate as the session's agent. Decisions and failures
 * come back as tool error results the model can read; only an unknown tool is a protocol error.
 *
 * When policy asks for approval, an approval already granted for exactly this call (same tool,
 * same input hash, same client, in this session or an earlier one) is used; otherwise, where policy accepts the client's
 * word for this tool and the client can elicit, the client is asked; otherwise the result
 * names the approval id for a person to decide.
 */
export async function callTool(
  session: McpSession,
  request: CallToolRequest,
  extra: Extra,
): Promise<CallToolResult> {
  const { name, arguments: args = {} } = request.params
  const started = performance.now()
  return session.host.options.live.use(async (kernel) => {
    try {
      kernel.registry.tool(name)
    } catch (error) {
      const hint = isDriftcoreError(error) && error.hint?.startsWith('did you mean') ? ` (${error.hint})` : ''
      throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}${hint}`)
    }
    const actor = session.actor()
    const options = invokeOptions(session, kernel, name, request, extra)
    let decision = 'none'
    const finish = (result: CallToolResult, outcome: string) => {
      session.host.options.metrics?.observe(name, decision, outcome, (performance.now() - started) / 1000)
      return result
    }
    const ok = (result: InvokeResult): CallToolResult | Promise<CallToolResult> => {
      decision = result.decision.decision
      const structured = catalogOf(kernel).structured.has(name)
      // Most tools have no content blocks of their own: their answer needs no await.
      if (typeof kernel.registry.tool(name).content !== 'function')
        return finish(successResult(result, structured), 'ok')
      return toolContent(kernel, name, result.output).then((extra) =>
        finish(successResult(result, structured, extra), 'ok'),
      )
    }
    const invoke = (approvalId?: string) =>
      kernel.gate.invoke(name, args, actor, {
        ...options,
        approvalId,
        // An approval a person already granted for exactly this call is used without asking again.
        findApproval: (inputHash) => findApproved(kernel, session, name, inputHash),
        onDecision: (d) => (decision = d.decision),
      })
    try {
      const approvalId = requestedApproval(request)
      try {
        return await ok(await invoke(approvalId))
      } catch (error) {
        if (!isDriftcoreError(error, 'approval_required') || approvalId) throw error
        // The client is asked only where policy accepts its word; otherwise a person decides.
        if (error.details.client_attestation !== true) throw error
        if (!session.supportsElicitation() || !session.host.elicitsApprovals(kernel)) throw error
        const answer = await askClient(session, kernel, name, error, extra)
        return 'result' in answer
          ? finish(answer.result, answer.outcome)
          : await ok(await invoke(answer.approvalId))
      }
    } catch (thrown) {
      const error = isDriftcoreError(thrown)
        ? thrown
        : new DriftcoreError('internal', (thrown as Error).message ?? String(thrown), { cause: thrown })
      return finish(errorResult(error, kernel.redactor, name), outcomeOf(error))
    }
  })
}

function invokeOptions(
  session: McpSession,
  kernel: Kernel,
  name: string,
  request: CallToolRequest,
  extra: Extra,
): InvokeOptions {
  const token = request.params._meta?.progressToken
  let last = -Infinity
  return {
    signal: extra.signal,
    // The identity names client and session; the request id ties the record to the client's log.
    meta: { mcp: { transport: session.host.options.transport, request_id: extra.requestId } },
    identity: session.identity(),
    logger: callLogger({
      name,
      redactor: kernel.redactor,
      minLevel: () => session.level,
      send: (notification) => extra.sendNotification(notification),
    }),
    // Progress is only sent when the client asked for it, and only forwards (the spec wants
    // each notification's progress to grow).
    ...(token === undefined
      ? {}
      : {
          onProgress: (p) => {
            if (!(p.progress > last)) return
            last = p.progress
            extra
              .sendNotification({
                method: 'notifications/progress',
                params: {
                  progressToken: token,
                  progress: p.progress,
                  ...(p.total === undefined ? {} : { total: p.total }),
                  ...(p.message === undefined ? {} : { message: kernel.redactor.redactText(p.message) }),
                },
              })
              .catch(() => undefined)
          },
        }),
  }
}

function requestedApproval(request: CallToolRequest): string | undefined {
  const id = request.params._meta?.[APPROVAL_META]
  return typeof id === 'string' && id.length > 0 ? id : undefined
}

function outcomeOf(error: DriftcoreError): string {
  switch (error.code) {
    case 'policy_denied':
      return 'denied'
    case 'approval_required':
    case 'invalid_input':
    case 'cancelled':
    case 'timeout':
      return error.code
    default:
      return 'error'
  }
}
