import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ApprovalRequest } from '../../src/approvals/approvals.js'
import {
  auditRecords,
  Cleanup,
  mcpProject,
  runCli,
  stdioClient,
  textOf,
  type TempProject,
} from '../../plugins/mcp/test/helpers.js'

// A person approves from the CLI what an MCP client asked; the client, restarted (a new
// session, a new actor id), repeats the call. The same client gets it, once. Another client,
// another input, or a CLI naming the client's actor does not.

const cleanup = new Cleanup()
let project: TempProject
const SHOUT = { name: 'hello.shout', arguments: { words: ['a;b'] } }

beforeEach(async () => {
  project = cleanup.add(await mcpProject({ config: 'launcher:\n  allowlist: [echo]\n' }), (p) => p.cleanup())
})
afterEach(() => cleanup.run())

async function session(name = 'vitest-agent') {
  return cleanup.add(await stdioClient(project, { name }), (c) => c.close())
}

function approvalIdOf(result: object): string {
  const id = /Approval id: (apr_[0-9a-f]+)/.exec(textOf(result))?.[1]
  if (!id) throw new Error(`no approval id in: ${textOf(result)}`)
  return id
}

async function show(id: string): Promise<ApprovalRequest> {
  return JSON.parse((await runCli(project, ['approvals', 'show', id, '--json'])).stdout) as ApprovalRequest
}

/** Asks in a first session, which then ends (the client quits); a person approves it. */
async function grantedInAnEndedSession(): Promise<string> {
  const first = await session()
  const asked = await first.client.callTool(SHOUT)
  const id = approvalIdOf(asked)
  expect(textOf(asked)).toContain('nothing to pass')
  expect(textOf(asked)).not.toContain('--approval')
  await first.close()
  const approved = await runCli(project, ['approvals', 'approve', id])
  expect(approved.exitCode, approved.stderr).toBe(0)
  return id
}

describe('an MCP grant across sessions', () => {
  it('the same client, restarted, repeats the call and it runs with the grant; once', async () => {
    const id = await grantedInAnEndedSession()
    const second = await session()
    const run = await second.client.callTool(SHOUT)
    expect(run.isError, textOf(run)).toBeFalsy()
    expect(run.structuredContent).toEqual({ stdout: 'a;b\n', exit_code: 0 })
    expect((await show(id)).status).toBe('used')
    const ran = (await auditRecords(project, 'tool.call')).filter((c) => c.data.outcome === 'ok')
    expect(ran).toHaveLength(1)
    expect(ran[0]!.data).toMatchObject({ approval_id: id, approved_by: { type: 'human', id: 'tester' } })

    // Single use: a third session asks again.
    const third = await session()
    const again = await third.client.callTool(SHOUT)
    expect(again.isError).toBe(true)
    expect(approvalIdOf(again)).not.toBe(id)
  })

  it('a new session asking while the first request is pending gets the same request, not another', async () => {
    const first = await session()
    const id = approvalIdOf(await first.client.callTool(SHOUT))
    await first.close()
    const second = await session()
    expect(approvalIdOf(await second.client.callTool(SHOUT))).toBe(id)
  })

  it('another client name does not pick up the grant, nor one that only looks the same as an actor id', async () => {
    const id = await grantedInAnEndedSession()
    for (const name of ['other-agent', 'vitest agent']) {
      const other = await session(name)
      const result = await other.client.callTool(SHOUT)
      expect(result.isError).toBe(true)
      expect(approvalIdOf(result)).not.toBe(id)
      // Naming the grant does not help either.
      const named = await other.client.callTool({ ...SHOUT, _meta: { 'driftcore/approval_id': id } })
      expect(named.isError).toBe(true)
      expect(textOf(named)).toContain(`was granted to agent:vitest-agent/`)
    }
    expect((await show(id)).status).toBe('approved')
    expect((await auditRecords(project, 'tool.call')).filter((c) => c.data.outcome === 'ok')).toEqual([])
  })

  it('a changed input in the new session is another call: a new request, the grant unused', async () => {
    const id = await grantedInAnEndedSession()
    const second = await session()
    const other = await second.client.callTool({ name: 'hello.shout', arguments: { words: ['a;b', 'more'] } })
    expect(other.isError).toBe(true)
    expect(approvalIdOf(other)).not.toBe(id)
    expect((await show(id)).status).toBe('approved')
  })

  it('a CLI caller naming the client with another session cannot use the grant', async () => {
    const id = await grantedInAnEndedSession()
    const { requester } = await show(id)
    const result = await runCli(
      project,
      ['tools', 'call', 'hello.shout', '--input', '{"words":["a;b"]}', '--approval', id, '--json'],
      { env: { DRIFTCORE_ACTOR: 'agent:vitest-agent/another-session' } },
    )
    expect(result.exitCode, result.stdout).toBe(11)
    expect(JSON.parse(result.stdout).error.message).toContain(`was granted to agent:${requester.id}`)
    expect((await show(id)).status).toBe('approved')
  })
})
