import { isDriftcoreError, type Actor, type DriftcoreError, type Kernel } from 'driftcore'
import type { CallToolResult, ElicitResult, RequestId } from '@modelcontextprotocol/sdk/types.js'
import { mcpConfig } from '../config/section.js'
import { approvalText } from './results.js'
import type { McpSession } from './session.js'

/** An approval a person granted for exactly this call, by this agent session, not yet used. */
export async function findApproved(
  kernel: Kernel,
  tool: string,
  inputHash: string,
  actor: Actor,
): Promise<string | undefined> {
  const approved = await kernel.approvals.list('approved')
  return approved.find(
    (r) =>
      r.tool === tool &&
      r.input_hash === inputHash &&
      r.requester.type === actor.type &&
      r.requester.id === actor.id,
  )?.id
}

export type PersonAnswer = { approvalId: string } | { result: CallToolResult; outcome: string }

/**
 * Asks the person at the client, through form elicitation, to decide a pending approval.
 *
 * The approval already exists (the gate created it, bound to the tool and the hash of the
 * exact input); the question shows that input and hash. The answer is recorded through the
 * approvals module as a decision by the operator, the person who started the server, never
 * by the agent: the module itself refuses agents and the requester. A dismissed or
 * unanswered question leaves the approval pending for `driftcore approvals approve`.
 */
export async function askPerson(
  session: McpSession,
  kernel: Kernel,
  tool: string,
  pending: DriftcoreError,
  request: { signal: AbortSignal; requestId: RequestId },
): Promise<PersonAnswer> {
  const { signal } = request
  const id = String(pending.details.approval_id)
  const approval = await kernel.approvals.get(id)
  const operator = session.host.options.operator
  const stillPending = (why: string): PersonAnswer => ({
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
      _meta: { 'driftcore/error': { code: 'approval_required', details: { approval_id: id } } },
    },
  })

  let answer: ElicitResult
  try {
    answer = await session.server.elicitInput(
      {
        mode: 'form',
        message: question(kernel, approval, session, operator),
        requestedSchema: {
          type: 'object',
          properties: {
            decision: {
              type: 'string',
              title: 'Your decision',
              enum: ['approve', 'deny'],
              enumNames: ['Approve this exact call', 'Deny it'],
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
    return stillPending(`The person was asked but did not answer (${(error as Error).message}).`)
  }
  if (answer.action === 'cancel') return stillPending('The person dismissed the question.')

  const approve = answer.action === 'accept' && answer.content?.decision === 'approve'
  const note = typeof answer.content?.comment === 'string' ? `${answer.content.comment} — ` : ''
  const comment = `${note}answered through MCP elicitation in ${session.clientName()} (session ${session.id})`
  try {
    await kernel.approvals.decide(id, operator, approve ? 'approved' : 'denied', comment)
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
          text: `A person (${operator.type}:${operator.id}) denied this call to ${tool} (approval ${id}). Do not repeat it; ask them what they would accept instead.`,
        },
      ],
      _meta: { 'driftcore/error': { code: 'forbidden', details: { approval_id: id, denied_by: operator } } },
    },
  }
}

function question(
  kernel: Kernel,
  approval: Awaited<ReturnType<Kernel['approvals']['get']>>,
  session: McpSession,
  operator: Actor,
): string {
  const tool = kernel.registry.tool(approval.tool)
  return [
    `The agent ${approval.requester.id} wants to run ${tool.id}${tool.title ? ` (${tool.title})` : ''}.`,
    tool.description,
    '',
    `Policy asks a person first: ${approval.reason}${approval.deciding_rule ? ` (rule ${approval.deciding_rule})` : ''}.`,
    `Input: ${approval.input_summary}`,
    `Input hash: ${approval.input_hash}`,
    `Approval ${approval.id}, valid for this exact input only, until ${approval.expires_at}.`,
    '',
    `Your answer is recorded in the audit log as ${operator.type}:${operator.id}, asked through ${session.clientName()}.`,
  ].join('\n')
}
