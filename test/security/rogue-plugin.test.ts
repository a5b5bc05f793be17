import { existsSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { linkPlugin, stdioClient } from '../../plugins/mcp/test/helpers.js'
import { readAuditRecords } from '../../src/audit/query.js'
import { FIXTURES, json, runCli, tempProject, type TempProject } from '../helpers/project.js'

const ROGUE = path.join(FIXTURES, 'plugins/rogue')
const LAX = path.join(FIXTURES, 'plugins/rogue-policy')
const PEEK = path.join(FIXTURES, 'plugins/rogue-prefix')
const AGENT = { DRIFTCORE_ACTOR: 'agent:copilot' }

// One project with all three hostile plugins linked, as a user (or a shell agent) would link them.
let project: TempProject
beforeAll(async () => {
  project = await tempProject({
    config: ['workflow:', '  notify:', '    sinks:', '      log: { type: file, path: notes.jsonl }', ''].join(
      '\n',
    ),
  })
  for (const plugin of [ROGUE, LAX, PEEK]) await linkPlugin(project, plugin)
})
afterAll(async () => project?.cleanup())

async function toolIds(env: NodeJS.ProcessEnv = {}): Promise<{ ids: string[]; stderr: string }> {
  const listed = await runCli(project, ['tools', 'list', '--json'], { env })
  expect(listed.exitCode, listed.stderr).toBe(0)
  return { ids: json<{ id: string }[]>(listed).map((t) => t.id), stderr: listed.stderr }
}

describe('a plugin cannot reach around the gate', () => {
  it('a plugin that re-exports sandbox.exec as a read tool is refused, and every other tool stays', async () => {
    const { ids, stderr } = await toolIds()
    expect(ids).not.toContain('rogue.exec')
    expect(ids).toEqual(expect.arrayContaining(['sandbox.exec', 'audit.verify', 'drush.status']))
    expect(stderr).toMatch(
      /plugin driftcore-plugin-rogue is refused: .*rogue\.exec reuses the .* of sandbox\.exec/,
    )

    const called = await runCli(
      project,
      ['tools', 'call', 'rogue.exec', '--input', '{"command":"id"}', '--json'],
      {
        env: AGENT,
      },
    )
    expect(called.exitCode).toBe(3)
    expect(json(called).error.code).toBe('not_found')
  })

  it("a plugin that wraps another plugin's handler in its own cannot run it under its own id", async () => {
    // Its schemas and handler are its own, so the registry has nothing to refuse; the call does.
    const env = { ...AGENT, ROGUE_MODE: 'wrap' }
    const input = JSON.stringify({ message: 'hello from a read-only tool', sinks: ['log'] })
    const called = await runCli(project, ['tools', 'call', 'rogue.note', '--input', input, '--json'], { env })
    expect(called.exitCode, called.stderr).toBe(11)
    expect(json(called).error.message).toMatch(/handler of tool workflow\.notify was called for rogue\.note/)
    expect(existsSync(path.join(project.dir, 'notes.jsonl'))).toBe(false)

    // The real tool is a write: the agent gets an approval request, not a delivery.
    const direct = await runCli(project, ['tools', 'call', 'workflow.notify', '--input', input, '--json'], {
      env,
    })
    expect(direct.exitCode).toBe(5)
    expect(existsSync(path.join(project.dir, 'notes.jsonl'))).toBe(false)
    const records = []
    for await (const r of readAuditRecords(project.home + '/audit')) records.push(r)
    expect(records.find((r) => r.subject === 'rogue.note')?.data).toMatchObject({ outcome: 'error' })
  })

  it('a plugin config section named policy does not replace the core schema', async () => {
    const own = await tempProject({ config: 'policy:\n  trusted_keys: [keys/team.pem]\n' })
    try {
      await linkPlugin(own, LAX)
      const got = await runCli(own, ['config', 'get', 'policy.trusted_keys', '--json'])
      expect(got.exitCode, got.stderr).toBe(0)
      expect(JSON.stringify(json(got))).toContain('keys/team.pem')
      expect(got.stderr).toMatch(
        /plugin driftcore-plugin-lax is refused: config section "policy" would replace driftcore's own/,
      )
    } finally {
      await own.cleanup()
    }
    const { ids } = await toolIds()
    expect(ids).not.toContain('lax.ping') // the whole plugin is refused, not only its section
  })

  it("a tool named into another plugin's prefix is refused", async () => {
    const { ids, stderr } = await toolIds()
    expect(ids).not.toContain('sandbox.peek')
    expect(ids).not.toContain('peek.ok')
    expect(stderr).toMatch(
      /plugin driftcore-plugin-peek is refused: tool id "sandbox\.peek" is outside the names it owns \(peek\.\)/,
    )
  })

  it('mcp serve offers the copilot every tool but the refused plugins, and says why on stderr', async () => {
    const connected = await stdioClient(project, { env: AGENT })
    try {
      const { tools } = await connected.client.listTools()
      const names = tools.map((t) => t.name)
      expect(names).toEqual(expect.arrayContaining(['sandbox.exec', 'audit.verify', 'drush.status']))
      expect(names.filter((n) => /^(rogue|lax|peek)\.|sandbox\.peek/.test(n))).toEqual([])
      expect(connected.stderr()).toMatch(/plugin driftcore-plugin-rogue is refused/)
    } finally {
      await connected.close()
    }
  })
})
