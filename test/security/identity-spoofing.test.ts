import os from 'node:os'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { AuditRecord } from '../../src/audit/record.js'
import {
  auditRecords,
  Cleanup,
  eventually,
  mcpProject,
  recorded,
  runCli,
  stdioClient,
  type TempProject,
} from '../../plugins/mcp/test/helpers.js'
import { json } from '../helpers/project.js'

// The actor is a name: DRIFTCORE_ACTOR says whatever the agent wants, and an MCP client names
// itself. The identity beside it is what driftcore saw: the OS account from the process's uid,
// the MCP session. These attacks try to make a record pass for someone else's, or to make the
// audit output lie.

const cleanup = new Cleanup()
let project: TempProject
const realUser = os.userInfo().username
const realUid = process.getuid!()
// Someone who is not the account the tests run as.
const victim = realUser === 'lead' ? 'boss' : 'lead'

beforeEach(async () => {
  project = cleanup.add(await mcpProject(), (p) => p.cleanup())
})
afterEach(() => cleanup.run())

describe('an agent that claims to be someone else', () => {
  it('setting DRIFTCORE_ACTOR, USER and LOGNAME to a person still records the real OS account', async () => {
    const call = await runCli(
      project,
      ['tools', 'call', 'hello.greet', '--input', '{"name":"x"}', '--json'],
      {
        env: { DRIFTCORE_ACTOR: `human:${victim}`, USER: victim, LOGNAME: victim, HOME: `/home/${victim}` },
      },
    )
    expect(call.exitCode, call.stderr).toBe(0)
    const [record] = await recorded(project, 'tool.call', (r) => r.subject === 'hello.greet')
    expect(record!.actor).toEqual({ type: 'human', id: victim })
    expect(record!.identity).toMatchObject({ os_user: realUser, uid: realUid })

    // So a query can tell the claim from the person: the victim's own account wrote nothing.
    const claimed = json<AuditRecord[]>(
      await runCli(project, ['audit', 'query', '--actor', `human:${victim}`, '--json']),
    )
    expect(claimed).toHaveLength(1)
    const byVictim = await runCli(project, [
      'audit',
      'query',
      '--actor',
      'human:*',
      '--os-user',
      victim,
      '--json',
    ])
    expect(json<AuditRecord[]>(byVictim)).toEqual([])
    const shown = await runCli(project, ['audit', 'query', '--actor', `human:${victim}`])
    expect(shown.stdout).toContain(`human:${victim} hello.greet`)
    expect(shown.stdout).toContain(`[${realUser}(${realUid})`)
  })
})

describe('an MCP client with a hostile name', () => {
  const forgedLine = '    99 2026-01-01T00:00:00.000Z approval.approved human:lead apr_0 [lead(1000)]'
  const hostile = `claude-code/*\n${forgedLine}\r\u001b[1A\u202e`

  async function callAs(name: string): Promise<void> {
    const connected = await stdioClient(project, { name })
    await connected.client.callTool({ name: 'hello.greet', arguments: { name: 'y' } })
    await connected.close()
  }

  it('cannot add a line to audit tail or audit query, nor pass for a person or another client', async () => {
    await callAs(hostile)
    await callAs('*')
    // Each server flushes its records as it exits; wait for both.
    const all = await eventually(async () => {
      const found = (await auditRecords(project, 'tool.call')).filter((r) => r.subject === 'hello.greet')
      return found.length === 2 ? found : undefined
    })
    const [evil, star] = all
    // Stored escaped: no raw newline, carriage return, escape or bidi override.
    for (const raw of ['\n', '\r', '\u001b', '\u202e']) expect(evil!.identity!.mcp!.client).not.toContain(raw)
    expect(evil!.identity!.mcp!.client).toContain('\\u000a')
    expect(evil!.actor.type).toBe('agent')
    expect(star!.identity!.mcp!.client).toBe('*')

    // One line per record, and none of them is the forged one.
    const records = await auditRecords(project, '*')
    const tail = await runCli(project, ['audit', 'tail', '-n', '1000'])
    expect(tail.exitCode, tail.stderr).toBe(0)
    const lines = tail.stdout.split('\n').filter(Boolean)
    expect(lines).toHaveLength(records.length)
    expect(lines.some((l) => l.startsWith('    99 '))).toBe(false)
    for (const raw of ['\r', '\u001b', '\u202e']) expect(tail.stdout).not.toContain(raw)

    // Globs in the name are data, not patterns: neither client answers for claude-code or a person.
    const asClaude = await runCli(project, ['audit', 'query', '--actor', 'agent:claude-code/*', '--json'])
    expect(json<AuditRecord[]>(asClaude)).toEqual([])
    const named = await runCli(project, ['audit', 'query', '--mcp-client', 'claude-code', '--json'])
    expect(json<AuditRecord[]>(named)).toEqual([])
    const people = await runCli(project, [
      'audit',
      'query',
      '--actor',
      'human:*',
      '--type',
      'tool.call',
      '--json',
    ])
    expect(json<AuditRecord[]>(people)).toEqual([])
    // And the hostile name can itself be searched for, with a glob.
    const found = await runCli(project, ['audit', 'query', '--mcp-client', 'claude-code/*', '--json'])
    expect(json<AuditRecord[]>(found).map((r) => r.seq)).toEqual([evil!.seq])
  })
})
