import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FIXTURES, json, runCli, tempProject, type TempProject } from '../helpers/project.js'

let project: TempProject
const agent = { DRIFTCORE_ACTOR: 'agent:copilot' }
const alice = { DRIFTCORE_ACTOR: 'human:alice' }

beforeEach(async () => {
  project = await tempProject({ config: 'launcher:\n  allowlist: [echo, sleep, node]\n' })
  expect((await runCli(project, ['plugins', 'link', path.join(FIXTURES, 'plugins/hello')])).exitCode).toBe(0)
})
afterEach(() => project.cleanup())

describe('approvals end to end on the command line', () => {
  it('an agent asks, a person approves, the agent runs exactly the approved call once', async () => {
    const input = JSON.stringify({ words: ['deploy', 'now'] })
    const asked = await runCli(project, ['tools', 'call', 'hello.shout', '--input', input, '--json'], {
      env: agent,
    })
    expect(asked.exitCode).toBe(5)
    const { error } = json(asked)
    expect(error).toMatchObject({ code: 'approval_required', details: { rule: 'approve-write-exec' } })
    const id = error.details.approval_id as string

    const listed = json(await runCli(project, ['approvals', 'list', '--json'], { env: alice }))
    expect(listed.map((r: { id: string }) => r.id)).toEqual([id])

    const byAgent = await runCli(project, ['approvals', 'approve', id], { env: agent })
    expect(byAgent.exitCode).toBe(11)
    expect(byAgent.stderr).toContain('cannot decide approval')

    const approved = await runCli(project, ['approvals', 'approve', id, '--comment', 'ok', '--json'], {
      env: alice,
    })
    expect(json(approved).approval.status).toBe('approved')

    const otherInput = await runCli(
      project,
      ['tools', 'call', 'hello.shout', '--input', '{"words":["rm"]}', '--approval', id],
      { env: agent },
    )
    expect(otherInput.exitCode).toBe(11)
    expect(otherInput.stderr).toContain('different input')

    const ran = await runCli(
      project,
      ['tools', 'call', 'hello.shout', '--input', input, '--approval', id, '--json'],
      { env: agent },
    )
    expect(json(ran).output).toEqual({ stdout: 'deploy now\n', exit_code: 0 })

    const again = await runCli(
      project,
      ['tools', 'call', 'hello.shout', '--input', input, '--approval', id],
      { env: agent },
    )
    expect(again.exitCode).toBe(11)
    expect(again.stderr).toContain(`approval ${id} is used`)

    const trail = json(await runCli(project, ['audit', 'query', '--type', 'approval.*', '--json']))
    expect(trail.map((r: { type: string; actor: { id: string } }) => `${r.type}:${r.actor.id}`)).toEqual([
      'approval.requested:copilot',
      'approval.approved:alice',
      // The use, on disk before the state says used: a state put back cannot be used again.
      'approval.used:copilot',
    ])
  })

  it('a person cannot approve their own request; approve --run runs it for the requester', async () => {
    const asked = json(
      await runCli(project, ['tools', 'call', 'hello.shout', '--input', '{"words":["hi"]}', '--json'], {
        env: alice,
      }),
    )
    const id = asked.error.details.approval_id as string
    const self = await runCli(project, ['approvals', 'approve', id], { env: alice })
    expect(self.exitCode).toBe(11)
    expect(self.stderr).toContain('cannot decide it too')
    const run = json(
      await runCli(project, ['approvals', 'approve', id, '--run', '--json'], {
        env: { DRIFTCORE_ACTOR: 'human:bob' },
      }),
    )
    expect(run.result.output.stdout).toBe('hi\n')
    const [call] = json(
      await runCli(project, ['audit', 'query', '--type', 'tool.call', '--subject', 'hello.shout', '--json']),
    ).slice(-1)
    expect(call).toMatchObject({
      actor: { id: 'alice' },
      data: { outcome: 'ok', approved_by: { id: 'bob' } },
    })
  })
})

describe('bad input on the command line', () => {
  it('an unknown tool: not_found, exit 3, with a suggestion', async () => {
    const r = await runCli(project, ['tools', 'call', 'hello.gret'])
    expect(r.exitCode).toBe(3)
    expect(r.stderr).toContain('unknown tool "hello.gret"')
    expect(r.stderr).toContain('hello.greet')
  })

  it('input failing its schema: invalid_input, exit 2, naming the path; --json gives the issues', async () => {
    const r = await runCli(project, ['tools', 'call', 'hello.greet', '--input', '{"name": 7}', '--json'])
    expect(r.exitCode).toBe(2)
    expect(json(r).error).toMatchObject({ code: 'invalid_input', details: { issues: [{ path: ['name'] }] } })
  })

  it('input that is not JSON: invalid_input, exit 2', async () => {
    const r = await runCli(project, ['tools', 'call', 'hello.greet', '--input', '{name'])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain('--input is not valid JSON')
  })

  it('a non-allowlisted executable: forbidden, exit 11, and the refusal is recorded', async () => {
    await writeFile(path.join(project.home, 'config.yaml'), 'launcher:\n  allowlist: [sleep]\n')
    const asked = json(
      await runCli(project, ['tools', 'call', 'hello.shout', '--input', '{"words":["x"]}', '--json'], {
        env: agent,
      }),
    )
    await runCli(project, ['approvals', 'approve', asked.error.details.approval_id], { env: alice })
    const r = await runCli(
      project,
      [
        'tools',
        'call',
        'hello.shout',
        '--input',
        '{"words":["x"]}',
        '--approval',
        asked.error.details.approval_id,
      ],
      { env: agent },
    )
    expect(r.exitCode).toBe(11)
    expect(r.stderr).toContain('"echo" is not on launcher.allowlist')
    const [call] = json(
      await runCli(project, ['audit', 'query', '--type', 'tool.call', '--subject', 'hello.shout', '--json']),
    ).slice(-1)
    expect(call.data).toMatchObject({ outcome: 'error', error: { code: 'forbidden' } })
  })

  it('a lock held by another owner: conflict, exit 6, naming the holder', async () => {
    const first = runCli(project, ['tools', 'call', 'hello.sleep', '--input', '{"seconds": 3}'])
    await new Promise((r) => setTimeout(r, 1200))
    const second = await runCli(project, ['tools', 'call', 'hello.sleep', '--input', '{"seconds": 3}'])
    expect(second.exitCode).toBe(6)
    expect(second.stderr).toMatch(/lock "sleep:3" is held \(exclusive\) by human:tester\//)
    expect((await first).exitCode).toBe(0)
  })

  it('a secret reference that does not resolve: not_found, exit 3, naming the reference', async () => {
    await writeFile(path.join(project.home, 'config.yaml'), 'launcher:\n  allowlist: [node]\n')
    await mkdir(path.join(project.home, 'policy'), { recursive: true })
    await writeFile(
      path.join(project.home, 'policy', 'all.yaml'),
      'apiVersion: driftcore/v1\nkind: PolicyBundle\nname: all\nrules:\n  - id: all\n    decision: ALLOW\n',
    )
    const r = await runCli(project, [
      'tools',
      'call',
      'hello.useToken',
      '--input',
      '{"token":"secret://env/NOT_SET_ANYWHERE"}',
    ])
    expect(r.exitCode).toBe(3)
    expect(r.stderr).toContain('secret reference secret://env/NOT_SET_ANYWHERE does not resolve')
  })

  it('malformed config YAML: invalid_input, exit 2, at file:line:col, for every command that needs config', async () => {
    await writeFile(path.join(project.home, 'config.yaml'), 'audit:\n  fsync: "always\n')
    const r = await runCli(project, ['tools', 'call', 'audit.verify'])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain(`${path.join(project.home, 'config.yaml')}:3:1`)
  })

  it('a tampered audit log: audit verify exits 8 naming the record', async () => {
    await runCli(project, ['tools', 'call', 'hello.greet', '--input', '{"name":"a"}'])
    await runCli(project, ['tools', 'call', 'hello.greet', '--input', '{"name":"b"}'])
    const segment = path.join(project.home, 'audit', '000001.jsonl')
    const text = await readFile(segment, 'utf8')
    await writeFile(segment, text.replace('"name":"b"', '"name":"c"').replace('hello b', 'hello c'))
    const r = await runCli(project, ['audit', 'verify'])
    expect(r.exitCode).toBe(8)
    expect(r.stderr).toMatch(
      /FAILED verification at 000001\.jsonl:\d+ \(seq \d+\): record seq \d+ was edited/,
    )
  })
})
