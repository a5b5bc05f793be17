import os from 'node:os'
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { allowOverrides } from '../../../../test/helpers/project.js'
import {
  auditRecords,
  Cleanup,
  eventually,
  httpClient,
  httpServer,
  mcpProject,
  recorded,
  runCli,
  stdioClient,
  textOf,
  type TempProject,
} from '../helpers.js'

// Every record written for a call over MCP says which client and which session made it, on
// top of the OS account of the server process; a person's CLI records carry no MCP part.

const cleanup = new Cleanup()
let project: TempProject
const ECHO = ['-c', 'launcher.allowlist=[echo]']
const me = { os_user: os.userInfo().username, uid: process.getuid!() }

beforeEach(async () => {
  project = cleanup.add(await mcpProject(), (p) => p.cleanup())
  await allowOverrides(project, ['launcher.allowlist'])
})
afterEach(() => cleanup.run())

function approvalIdOf(result: object): string {
  const id = /Approval id: (apr_[0-9a-f]+)/.exec(textOf(result))?.[1]
  if (!id) throw new Error(`no approval id in: ${textOf(result)}`)
  return id
}

describe('identity of MCP calls', () => {
  it('over stdio, every record of a call names the client and its session: requested, called, used, run, read', async () => {
    const connected = cleanup.add(await stdioClient(project, { args: ECHO, name: 'claude-code' }), (c) =>
      c.close(),
    )
    const first = await connected.client.callTool({ name: 'hello.shout', arguments: { words: ['hi'] } })
    const id = approvalIdOf(first)
    const approved = await runCli(project, ['approvals', 'approve', id])
    expect(approved.exitCode, approved.stderr).toBe(0)
    const run = await connected.client.callTool({ name: 'hello.shout', arguments: { words: ['hi'] } })
    expect(run.isError, textOf(run)).toBeFalsy()
    await connected.client.readResource({ uri: 'fixture://readme' })
    await connected.close()

    // The read is the last record the session wrote; once it is on disk, all before it are.
    const [read] = await recorded(project, 'resource.read')
    const [requested] = await auditRecords(project, 'approval.requested')
    const session = requested!.identity!.mcp!.session
    expect(session).toMatch(/^[0-9a-f]{8}$/)
    const mcp = { client: 'claude-code', session }
    expect(requested!.actor).toEqual({ type: 'agent', id: `claude-code/${session}` })
    expect(requested!.identity).toMatchObject({ ...me, mcp })

    const calls = (await auditRecords(project, 'tool.call')).filter((r) => r.subject === 'hello.shout')
    expect(calls.map((r) => r.data.outcome)).toEqual(['approval_required', 'ok'])
    for (const call of calls) expect(call.identity).toMatchObject({ ...me, mcp })
    const [processRun] = await auditRecords(project, 'process.run')
    expect(processRun!.identity).toMatchObject({ ...me, mcp })
    expect(read!.identity).toMatchObject({ ...me, mcp })

    // The person's approval, from the CLI, is the person's process: no MCP part.
    const [grant] = await auditRecords(project, 'approval.approved')
    expect(grant!.identity).toEqual(expect.objectContaining(me))
    expect(grant!.identity!.mcp).toBeUndefined()

    // The query finds the session's records by client and session.
    const found = await runCli(project, [
      'audit',
      'query',
      '--mcp-client',
      'claude-*',
      '--session',
      session,
      '--json',
    ])
    expect((JSON.parse(found.stdout) as { type: string }[]).map((r) => r.type)).toEqual([
      'approval.requested',
      'tool.call',
      // The approved call's use of its approval, recorded before it runs.
      'approval.used',
      'process.run',
      'tool.call',
      'resource.read',
    ])
  })

  it("the records a tool's own work writes carry the session too: config.set's config.changed", async () => {
    const connected = cleanup.add(await stdioClient(project, { name: 'claude-code' }), (c) => c.close())
    const args = { key: 'workflow.concurrency', value: 3 }
    const first = await connected.client.callTool({ name: 'config.set', arguments: args })
    const approved = await runCli(project, ['approvals', 'approve', approvalIdOf(first)])
    expect(approved.exitCode, approved.stderr).toBe(0)
    const set = await connected.client.callTool({ name: 'config.set', arguments: args })
    expect(set.isError, textOf(set)).toBeFalsy()
    const [changed] = await recorded(project, 'config.changed', (r) => r.actor.type === 'agent')
    expect(changed!.actor.type).toBe('agent')
    expect(changed!.identity).toMatchObject({ ...me, mcp: { client: 'claude-code' } })
    // What the server does on its own (reloading the changed file) is not the session's.
    for (const record of await auditRecords(project, '*'))
      if (record.actor.type === 'system') expect(record.identity?.mcp, record.type).toBeUndefined()
  })

  it("an approval the client gave through elicitation is recorded with the client's session", async () => {
    const { mkdir, writeFile } = await import('node:fs/promises')
    const path = await import('node:path')
    await mkdir(path.join(project.home, 'policy'), { recursive: true })
    await writeFile(
      path.join(project.home, 'policy', 'client.yaml'),
      `apiVersion: driftcore/v1
kind: PolicyBundle
name: client
rules:
  - id: shout-on-the-clients-word
    decision: REQUIRE_APPROVAL
    match: { tools: [hello.shout] }
    approval: { client_attested: true }
`,
    )
    const connected = cleanup.add(
      await stdioClient(project, {
        args: ECHO,
        name: 'claude-code',
        client: { capabilities: { elicitation: { form: {} } } },
      }),
      (c) => c.close(),
    )
    connected.client.setRequestHandler(ElicitRequestSchema, () => ({
      action: 'accept',
      content: { decision: 'approve' },
    }))
    const run = await connected.client.callTool({ name: 'hello.shout', arguments: { words: ['hi'] } })
    expect(run.isError, textOf(run)).toBeFalsy()
    const [grant] = await recorded(project, 'approval.approved')
    const [requested] = await auditRecords(project, 'approval.requested')
    expect(grant!.data).toMatchObject({ via: 'mcp-elicitation' })
    expect(grant!.identity).toMatchObject({ ...me, mcp: requested!.identity!.mcp })
  })

  it('gives each stdio connection its own session', async () => {
    for (let i = 0; i < 2; i++) {
      const connected = await stdioClient(project, { name: 'claude-code' })
      await connected.client.callTool({ name: 'hello.greet', arguments: { name: `n${i}` } })
      await connected.close()
    }
    // Each server flushes its records as it exits; wait for both.
    const calls = await eventually(async () => {
      const found = (await auditRecords(project, 'tool.call')).filter((r) => r.subject === 'hello.greet')
      return found.length === 2 ? found : undefined
    })
    const sessions = new Set(calls.map((r) => r.identity?.mcp?.session))
    expect(sessions.size).toBe(2)
  })

  it('over HTTP, the session is the Mcp-Session-Id the client holds', async () => {
    const server = cleanup.add(await httpServer(project), (s) => s.stop())
    const client = cleanup.add(await httpClient(server), (c) => c.close())
    const result = await client.callTool({ name: 'hello.greet', arguments: { name: 'web' } })
    expect(result.isError, textOf(result)).toBeFalsy()
    const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId
    expect(sessionId).toBeTruthy()
    const [call] = await recorded(project, 'tool.call', (r) => r.subject === 'hello.greet')
    expect(call!.identity).toMatchObject({ ...me, mcp: { client: 'vitest-http-agent', session: sessionId } })
  })
})
