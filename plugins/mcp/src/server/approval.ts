import { isDriftcoreError, withIdentity, type DriftcoreError, type Kernel } from 'driftcore/api'
import type { CallToolResult, ElicitResult, RequestId } from '@modelcontextprotocol/sdk/types.js'
import { mcpConfig } from '../config/section.js'
import { approvalText } from './results.js'
import type { McpSession } from './session.js'

/**
 * An approval granted for exactly this call, by this client (in this session or an earlier one:
 * a restarted client gets a new session), under this config, not yet used.
 */
export async function findApproved(
  kernel: Kernel,
  session: McpSession,
  tool: string,
  inputHash: string,
): Promise<string | undefined> {
  return kernel.approvals.findGranted({
    tool,
    inputHash,
    actor: session.actor(),
    identity: session.identity(),
  })
}

export type ClientAnswer = { approvalId: string } | { result: CallToolResult; outcome: string }

/**
 * Asks the MCP client, through form elicitation, to decide a pending approval, where policy
 * accepts the client's word for it (`approval: {client_attested: true}`; the approval says so
 * with `client_attestation`).
 *
 * Whatever comes back is the client's answer. The client is the agent's own program (or the
 * agent itself): nothing in the protocol tells a person's click from a reply the client made up,
 * so the answer is recorded as what it is, an attestation by the session's agent actor
 * `via: mcp-elicitation` naming the client, never as the operator's or any person's decision.
 * A dismissed or unanswered question leaves the approval pending for `driftcore approvals approve`.
 */
export async function askClient(
  session: McpSession,
  kernel: Kernel,
  tool: string,
  pending: DriftcoreError,
  request: { signal: AbortSignal; requestId: RequestId },
): Promise<ClientAnswer> {
  const { signal } = request
  const id = String(pending.details.approval_id)
  const approval = await kernel.approvals.get(id)
  // The same facts as every other error result: code, message, hint and details (docs/mcp.md).
  const stillPending = (why: string): ClientAnswer => ({
    outcome: 'approval_required',
    result: {
      isError: true,
      content: [
        {
          type: 'text',
          text: kernel.redactor.redactText(
            approvalText(tool, id, approval.reason, approval.deciding_rule, approval.expires_at, why),
          ),
        },
      ],
      _meta: {
        'driftcore/error': kernel.redactor.redact({
          code: 'approval_required',
          message: `${pending.message} ${why}`,
          ...(pending.hint ? { hint: pending.hint } : {}),
          details: { ...pending.details, approval_id: id },
        }),
      },
    },
  })

  let answer: ElicitResult
  try {
    answer = await session.server.elicitInput(
      {
        mode: 'form',
        message: question(kernel, approval, session),
        requestedSchema: {
          type: 'object',
          properties: {
            // A titled single-select enum as the current spec defines it (`enumNames` is deprecated).
            decision: {
              type: 'string',
              title: 'Your decision',
              oneOf: [
                { const: 'approve', title: 'Approve this exact call' },
                { const: 'deny', title: 'Deny it' },
              ],
            },
            comment: { type: 'string', title: 'Comment for the audit log (optional)', maxLength: 500 },
          },
          required: ['decision'],
        },
      },
      // Related to the tools/call, so over HTTP the question travels on that call's stream.
      {
        signal,
        relatedRequestId: request.requestId,
        timeout: mcpConfig(kernel.config.values).elicitation.timeout_ms,
      },
    )
  } catch (error) {
    if (signal.aborted) throw error
    return stillPending(`The client was asked but did not answer (${(error as Error).message}).`)
  }
  if (answer.action === 'cancel') return stillPending('The question was dismissed.')

  const approve = answer.action === 'accept' && answer.content?.decision === 'approve'
  const note = typeof answer.content?.comment === 'string' ? `${answer.content.comment} — ` : ''
  const client = session.clientName()
  const comment = `${note}the MCP client ${client}'s answer to elicitation (session ${session.id})`
  const by = session.actor()
  try {
    // The decision's record says which session answered, like every record of its calls.
    await withIdentity(session.identity(), () =>
      kernel.approvals.attest(
        id,
        { by, via: 'mcp-elicitation', client },
        approve ? 'approved' : 'denied',
        comment,
      ),
    )
  } catch (error) {
    if (!isDriftcoreError(error)) throw error
    return stillPending(`The answer could not be recorded: ${error.message}.`)
  }
  if (approve) return { approvalId: id }
  return {
    outcome: 'denied',
    result: {
      isError: true,
      content: [
        {
          type: 'text',
          text: `The call to ${tool} was denied through the MCP client ${client} (approval ${id}). Do not repeat it; ask the person what they would accept instead.`,
        },
      ],
      _meta: {
        'driftcore/error': kernel.redactor.redact({
          code: 'forbidden',
          message: `the call to ${tool} was denied through the MCP client ${client} (approval ${id})`,
          hint: 'do not repeat it; ask the person what they would accept instead',
          details: { approval_id: id, denied_by: by },
        }),
      },
    },
  }
}

function question(
  kernel: Kernel,
  approval: Awaited<ReturnType<Kernel['approvals']['get']>>,
  session: McpSession,
): string {
  const tool = kernel.registry.tool(approval.tool)
  return [
    `The agent ${approval.requester.id} wants to run ${tool.id}${tool.title ? ` (${tool.title})` : ''}.`,
    tool.description,
    '',
    `Policy asks for approval first: ${approval.reason}${approval.deciding_rule ? ` (rule ${approval.deciding_rule})` : ''}.`,
    `Input: ${approval.input_summary}`,
    ...(approval.preview ? [`What it would do:\n${approval.preview}`] : []),
    `Input hash: ${approval.input_hash}`,
    `Approval ${approval.id}, valid for this exact input only, until ${approval.expires_at}.`,
    '',
    `Your answer is recorded in the audit log as the word of the MCP client ${session.clientName()}, not a person's approval: ` +
      'policy accepts that for this tool.',
  ].join('\n')
}
