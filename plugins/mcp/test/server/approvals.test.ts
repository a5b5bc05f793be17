import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ElicitRequestSchema, type ElicitRequest } from '@modelcontextprotocol/sdk/types.js'
import type { ApprovalRequest } from '../../../../src/approvals/approvals.js'
import { allowOverrides } from '../../../../test/helpers/project.js'
import {
  auditRecords,
  Cleanup,
  mcpProject,
  recorded,
  runCli,
  stdioClient,
  textOf,
  type TempProject,
} from '../helpers.js'

const cleanup = new Cleanup()
let project: TempProject
const ECHO = ['-c', 'launcher.allowlist=[echo]']
const connect = async (options: Parameters<typeof stdioClient>[1]) =>
  cleanup.add(await stdioClient(project, options), (c) => c.close())

beforeEach(async () => {
  project = cleanup.add(await mcpProject(), (p) => p.cleanup())
  // The servers are started with these protected keys as -c flags; the project lets them.
  await allowOverrides(project, ['launcher.allowlist', 'mcp.elicitation'])
})
afterEach(() => cleanup.run())

function approvalIdOf(result: object): string {
  const id = /Approval id: (apr_[0-9a-f]+)/.exec(textOf(result))?.[1]
  if (!id) throw new Error(`no approval id in: ${textOf(result)}`)
  return id
}

// Elicitation is used only where a rule accepts the client's word for the tool (and the answer is
// recorded as the client's); test/security/mcp-self-approval.test.ts has the attacks.
async function acceptClientWord(): Promise<void> {
  const fs = await import('node:fs/promises')
  const path = await import('node:path')
  await fs.mkdir(path.join(project.home, 'policy'), { recursive: true })
  await fs.writeFile(
    path.join(project.home, 'policy', 'client.yaml'),
    `apiVersion: driftcore/v1
kind: PolicyBundle
name: client
rules:
  - id: read-only
    decision: ALLOW
    match: { risk_tags: { only: [read] } }
  - id: shout-on-the-clients-word
    decision: REQUIRE_APPROVAL
    match: { tools: [hello.shout] }
    approval: { client_attested: true }
`,
  )
}

async function showApproval(id: string): Promise<ApprovalRequest> {
  const shown = await runCli(project, ['approvals', 'show', id, '--json'])
  return JSON.parse(shown.stdout) as ApprovalRequest
}

describe('approvals over MCP', () => {
  it('without elicitation, returns the approval id and how a person approves; the same call then runs once', async () => {
    const connected = await connect({ args: ECHO })
    const first = await connected.client.callTool({ name: 'hello.shout', arguments: { words: ['a;b'] } })
    expect(first.isError).toBe(true)
    const id = approvalIdOf(first)
    expect(textOf(first)).toContain(`A person approves it with: driftcore approvals approve ${id}`)
    expect(textOf(first)).toContain('You cannot approve it yourself')
    expect(first._meta).toMatchObject({
      'driftcore/error': { code: 'approval_required', details: { approval_id: id } },
    })

    const polled = await connected.client.callTool({ name: 'approvals.status', arguments: { id } })
    expect(polled.structuredContent).toMatchObject({ id, status: 'pending', tool: 'hello.shout' })

    const approved = await runCli(project, ['approvals', 'approve', id])
    expect(approved.exitCode, approved.stderr).toBe(0)
    expect(
      (await connected.client.callTool({ name: 'approvals.status', arguments: { id } })).structuredContent,
    ).toMatchObject({
      status: 'approved',
      decided_by: { type: 'human', id: 'tester' },
    })

    // Other arguments are another call: the approval does not cover them.
    const other = await connected.client.callTool({ name: 'hello.shout', arguments: { words: ['other'] } })
    expect(other.isError).toBe(true)
    expect(approvalIdOf(other)).not.toBe(id)

    const run = await connected.client.callTool({ name: 'hello.shout', arguments: { words: ['a;b'] } })
    expect(run.isError, textOf(run)).toBeFalsy()
    expect(run.structuredContent).toEqual({ stdout: 'a;b\n', exit_code: 0 })
    expect((await showApproval(id)).status).toBe('used')

    const again = await connected.client.callTool({ name: 'hello.shout', arguments: { words: ['a;b'] } })
    expect(again.isError).toBe(true)
    expect(approvalIdOf(again)).not.toBe(id)
  })

  it('uses a granted approval even when the raw arguments and the validated input decide differently', async () => {
    // Loud speech needs approval; `loud` defaults to true, so only the validated input shows it.
    const fs = await import('node:fs/promises')
    const path = await import('node:path')
    await fs.mkdir(path.join(project.home, 'policy'), { recursive: true })
    await fs.writeFile(
      path.join(project.home, 'policy', 'loud.yaml'),
      `apiVersion: driftcore/v1
kind: PolicyBundle
name: loud
rules:
  - id: read-only
    decision: ALLOW
    match: { risk_tags: { only: [read] } }
  - id: loud-needs-a-person
    decision: REQUIRE_APPROVAL
    match: { tools: [fixture.say] }
    when: has(request.input.loud) && request.input.loud == true
`,
    )
    const connected = await connect({})
    const first = await connected.client.callTool({ name: 'fixture.say', arguments: { text: 'hi' } })
    const id = approvalIdOf(first)
    expect((await runCli(project, ['approvals', 'approve', id])).exitCode).toBe(0)
    const run = await connected.client.callTool({ name: 'fixture.say', arguments: { text: 'hi' } })
    expect(run.isError, textOf(run)).toBeFalsy()
    expect(run.structuredContent).toEqual({ said: 'HI' })
    expect((await showApproval(id)).status).toBe('used')
  })

  it('asks the client through elicitation, bound to the input hash, and records the answer as the client’s', async () => {
    await acceptClientWord()
    let asked: ElicitRequest['params'] | undefined
    const connected = await connect({
      args: ECHO,
      client: { capabilities: { elicitation: { form: {} } } },
    })
    connected.client.setRequestHandler(ElicitRequestSchema, (request) => {
      asked = request.params
      return { action: 'accept', content: { decision: 'approve', comment: 'fine by me' } }
    })
    const result = await connected.client.callTool({
      name: 'hello.shout',
      arguments: { words: ['hi', '$(id)'] },
    })
    expect(result.isError, textOf(result)).toBeFalsy()
    expect(result.structuredContent).toEqual({ stdout: 'hi $(id)\n', exit_code: 0 })

    const [requested] = await recorded(project, 'approval.requested')
    const approval = await showApproval(requested!.subject)
    expect(approval).toMatchObject({
      status: 'used',
      via: 'mcp-elicitation',
      client: 'vitest-agent',
      decided_by: approval.requester,
    })
    expect(approval.requester.type).toBe('agent')
    expect(approval.requester.id).toMatch(/^vitest-agent\//)
    expect(approval.comment).toMatch(/^fine by me — the MCP client vitest-agent's answer to elicitation/)
    expect(asked!.message).toContain(`Input hash: ${approval.input_hash}`)
    expect(asked!.message).toContain("the word of the MCP client vitest-agent, not a person's approval")
    // Titled enums as the current spec defines them; the deprecated enumNames is gone.
    const decision = (asked as { requestedSchema: { properties: Record<string, Record<string, unknown>> } })
      .requestedSchema.properties.decision!
    expect(decision.oneOf).toEqual([
      { const: 'approve', title: 'Approve this exact call' },
      { const: 'deny', title: 'Deny it' },
    ])
    expect(decision).not.toHaveProperty('enumNames')
    expect(decision).not.toHaveProperty('enum')

    const decided = await recorded(project, 'approval.approved')
    expect(decided[0]!.actor).toEqual(approval.requester)
    expect(decided[0]!.data).toMatchObject({ via: 'mcp-elicitation', client: 'vitest-agent' })
    const calls = await recorded(project, 'tool.call', (c) => c.data.outcome === 'ok')
    expect(calls[0]!.data.approval_id).toBe(approval.id)
    expect(calls[0]!.data.approved_by).toEqual(approval.requester)
    expect(calls[0]!.data.approval_via).toBe('mcp-elicitation')
  })

  it('records a declined elicitation as a denial through the client and does not run the tool', async () => {
    await acceptClientWord()
    const connected = await connect({ args: ECHO, client: { capabilities: { elicitation: {} } } })
    connected.client.setRequestHandler(ElicitRequestSchema, () => ({ action: 'decline' }))
    const result = await connected.client.callTool({ name: 'hello.shout', arguments: { words: ['no'] } })
    expect(result.isError).toBe(true)
    expect(textOf(result)).toMatch(/^The call to hello\.shout was denied through the MCP client vitest-agent/)
    const id = /approval (apr_[0-9a-f]+)/.exec(textOf(result))![1]!
    expect(result._meta?.['driftcore/error']).toMatchObject({
      code: 'forbidden',
      message: `the call to hello.shout was denied through the MCP client vitest-agent (approval ${id})`,
      details: { approval_id: id },
    })
    expect(await showApproval(id)).toMatchObject({
      status: 'denied',
      via: 'mcp-elicitation',
      decided_by: { type: 'agent' },
    })
    expect((await auditRecords(project, 'tool.call')).filter((c) => c.data.outcome === 'ok')).toEqual([])
  })

  it('leaves the approval pending when the question is dismissed', async () => {
    await acceptClientWord()
    const connected = await connect({ args: ECHO, client: { capabilities: { elicitation: {} } } })
    connected.client.setRequestHandler(ElicitRequestSchema, () => ({ action: 'cancel' }))
    const result = await connected.client.callTool({ name: 'hello.shout', arguments: { words: ['later'] } })
    expect(result.isError).toBe(true)
    expect(textOf(result)).toContain('The question was dismissed.')
    expect((await showApproval(approvalIdOf(result))).status).toBe('pending')
    // The same facts as any error result, the message included (docs/mcp.md).
    expect(result._meta?.['driftcore/error']).toMatchObject({
      code: 'approval_required',
      message: expect.stringContaining('The question was dismissed.') as string,
      details: { approval_id: approvalIdOf(result) },
    })
  })

  it('never asks through elicitation when the policy wants a person, or elicitation is off', async () => {
    for (const setup of [
      { env: {}, args: ECHO, policy: false },
      { env: {}, args: [...ECHO, '-c', 'mcp.elicitation.approvals=off'], policy: true },
    ]) {
      if (setup.policy) await acceptClientWord()
      let asked = 0
      const c = await connect({ ...setup, client: { capabilities: { elicitation: {} } } })
      c.client.setRequestHandler(ElicitRequestSchema, () => {
        asked += 1
        return { action: 'accept', content: { decision: 'approve' } }
      })
      const result = await c.client.callTool({ name: 'hello.shout', arguments: { words: ['x'] } })
      expect(result.isError).toBe(true)
      expect(asked).toBe(0)
      expect((await showApproval(approvalIdOf(result))).status).toBe('pending')
    }
  })
})
