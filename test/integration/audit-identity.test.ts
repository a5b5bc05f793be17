import os from 'node:os'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuditRecord } from '../../src/audit/record.js'
import { json, runCli, tempProject, type TempProject } from '../helpers/project.js'

let project: TempProject
const ACTORS = ['human:alice', 'human:bob', 'ci:alice', 'agent:claude-code/3f9a', 'agent:copilot/77']

beforeAll(async () => {
  project = await tempProject()
  for (const actor of ACTORS) {
    const call = await runCli(project, ['tools', 'call', 'config.effective', '--input', '{}', '--json'], {
      env: { DRIFTCORE_ACTOR: actor },
    })
    expect(call.exitCode, call.stderr).toBe(0)
  }
})
afterAll(() => project.cleanup())

async function actorsFound(...args: string[]): Promise<string[]> {
  const result = await runCli(project, ['audit', 'query', '--type', 'tool.call', ...args, '--json'])
  expect(result.exitCode, result.stderr).toBe(0)
  return json<AuditRecord[]>(result).map((r) => `${r.actor.type}:${r.actor.id}`)
}

describe('audit query --actor', () => {
  it('takes globs over type:id', async () => {
    expect(await actorsFound('--actor', 'agent:claude-code/*')).toEqual(['agent:claude-code/3f9a'])
    expect(await actorsFound('--actor', 'agent:*')).toEqual(['agent:claude-code/3f9a', 'agent:copilot/77'])
    expect(await actorsFound('--actor', 'human:*')).toEqual(['human:alice', 'human:bob'])
    expect(await actorsFound('--actor', '*:alice')).toEqual(['human:alice', 'ci:alice'])
    expect(await actorsFound('--actor', '{ci,human}:b*')).toEqual(['human:bob'])
  })

  it('without a glob keeps its exact meaning: type:id, or the id alone', async () => {
    expect(await actorsFound('--actor', 'human:alice')).toEqual(['human:alice'])
    expect(await actorsFound('--actor', 'alice')).toEqual(['human:alice', 'ci:alice'])
    expect(await actorsFound('--actor', 'human:ali')).toEqual([])
  })

  it('combines with the identity filters, and shows the identity in the human output', async () => {
    const me = os.userInfo().username
    expect(
      await actorsFound('--actor', 'human:*', '--os-user', me, '--uid', String(process.getuid!())),
    ).toEqual(['human:alice', 'human:bob'])
    expect(await actorsFound('--os-user', `not-${me}`)).toEqual([])
    expect(await actorsFound('--token', '*')).toEqual([])
    const shown = await runCli(project, ['audit', 'query', '--type', 'tool.call', '--actor', 'human:bob'])
    expect(shown.stdout).toMatch(
      new RegExp(`tool\\.call human:bob config\\.effective ALLOW ok \\[${me}\\(\\d+\\)`),
    )
    expect(shown.stderr).toContain('1 record')
  })
})
