import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stdioClient } from '../../plugins/mcp/test/helpers.js'
import { CLI, json, runCli, tempProject, type TempProject } from '../helpers/project.js'
import { installedPackages, installPlugin, packPlugin } from '../helpers/plugin-package.js'

// The path a plugin author takes: generate, test, pack, install, use.
let project: TempProject
let dir: string
beforeAll(async () => {
  project = await tempProject()
  const created = await runCli(project, ['plugins', 'new', 'weather', '--dir', 'weather', '--json'])
  expect(created.exitCode, created.stderr).toBe(0)
  dir = json<{ dir: string }>(created).dir
})
afterAll(async () => project?.cleanup())

describe('driftcore plugins new', () => {
  it('writes a plugin named after its prefix', async () => {
    const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'))
    expect(pkg).toMatchObject({ name: 'driftcore-plugin-weather', driftcore: { prefixes: ['weather'] } })
    expect(pkg.dependencies).toBeUndefined()
    expect(await readFile(path.join(dir, '.gitignore'), 'utf8')).toContain('node_modules')
  })

  it('the generated plugin passes its own test out of the box', async () => {
    const tested = await execa('npm', ['test'], {
      cwd: dir,
      env: { ...project.env, DRIFTCORE_BIN: CLI },
      extendEnv: false,
      reject: false,
    })
    expect(tested.exitCode, `${tested.stdout}\n${tested.stderr}`).toBe(0)
    expect(String(tested.stdout)).toMatch(/# pass 3/)
  })

  it('packs, installs from its tarball with npm offline, and works in the CLI and over MCP', async () => {
    const installed = await installPlugin(project, `file:${await packPlugin(dir)}`)
    expect(installed.exitCode, installed.stderr).toBe(0)
    expect(await installedPackages(project)).toEqual(['driftcore-plugin-weather'])

    const called = await runCli(project, [
      'tools',
      'call',
      'weather.hello',
      '--input',
      '{"name":"ada"}',
      '--json',
    ])
    expect(called.exitCode, called.stderr).toBe(0)
    expect(json(called).output).toEqual({ greeting: 'hello ada' })

    const connected = await stdioClient(project, { env: { DRIFTCORE_ACTOR: 'agent:copilot' } })
    try {
      const { tools } = await connected.client.listTools()
      expect(tools.find((t) => t.name === 'weather.hello')?.annotations).toMatchObject({ readOnlyHint: true })
      const result = await connected.client.callTool({ name: 'weather.hello', arguments: { name: 'bob' } })
      expect(result.isError).toBeFalsy()
      expect(result.structuredContent).toEqual({ greeting: 'hello bob' })
    } finally {
      await connected.close()
    }
  })

  it('refuses a name that cannot be a prefix, a name driftcore owns, and a folder that is not empty', async () => {
    const bad = await runCli(project, ['plugins', 'new', 'Weather.App', '--json'])
    expect(bad.exitCode).toBe(2)
    const core = await runCli(project, ['plugins', 'new', 'policy', '--json'])
    expect(core.exitCode).toBe(2)
    expect(json(core).error.message).toMatch(/belongs to driftcore itself/)
    const again = await runCli(project, ['plugins', 'new', 'weather', '--dir', 'weather', '--json'])
    expect(again.exitCode).toBe(6)
    expect(json(again).error.message).toMatch(/exists and is not empty/)
  })
})
