import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { FIXTURES, json, runCli, tempProject, type TempProject } from '../helpers/project.js'
import {
  copyPlugin,
  gitRepository,
  installedPackages,
  installPlugin,
  packPlugin,
  scratch,
} from '../helpers/plugin-package.js'

// A third-party plugin written to the documented API: defineTool/defineCapabilities and
// ToolCommand from `driftcore`, schemas from `zod`, both declared as optional peers.
const GREET = path.join(FIXTURES, 'plugins/greet')

const projects: TempProject[] = []
afterEach(async () => {
  for (const p of projects.splice(0)) await p.cleanup()
})
async function project(): Promise<TempProject> {
  const p = await tempProject()
  projects.push(p)
  return p
}

/** What a user relies on once the plugin is installed: its tool lists and runs, its command too. */
async function expectWorking(p: TempProject): Promise<void> {
  const listed = await runCli(p, ['tools', 'list', '--json'])
  expect(listed.exitCode, listed.stderr).toBe(0)
  expect(listed.stderr).not.toMatch(/Cannot find package|failed to load/)
  const tool = json<{ id: string; description: string }[]>(listed).find((t) => t.id === 'greet.hi')
  expect(tool?.description).toBe('Returns a greeting. Read-only.')

  const called = await runCli(p, ['tools', 'call', 'greet.hi', '--input', '{"name":"ada"}', '--json'])
  expect(called.exitCode, called.stderr).toBe(0)
  expect(json(called).output).toEqual({ greeting: 'hi ada', api: 'function' })

  const command = await runCli(p, ['greet', 'hi', 'ada'])
  expect(command.exitCode, command.stderr).toBe(0)
  expect(command.stdout.trim()).toBe('hi ada')
}

describe('a plugin written to the documented API resolves the running host', () => {
  it('installed from a packed tarball, with npm offline: its tool and command work, and npm fetched nothing', async () => {
    const p = await project()
    const tarball = await packPlugin(await copyPlugin(GREET, await scratch(p, 'src')))
    const installed = await installPlugin(p, `file:${tarball}`)
    expect(installed.exitCode, installed.stderr).toBe(0)
    // Neither the host nor zod was downloaded: the host lends its own.
    expect(await installedPackages(p)).toEqual(['driftcore-plugin-greet'])
    await expectWorking(p)
  })

  it('installed from a folder', async () => {
    const p = await project()
    const dir = await copyPlugin(GREET, await scratch(p, 'src'))
    const installed = await installPlugin(p, `file:${dir}`)
    expect(installed.exitCode, installed.stderr).toBe(0)
    await expectWorking(p)
  })

  it('installed from a git URL (a local bare repository)', async () => {
    const p = await project()
    const into = await scratch(p, 'git')
    const url = await gitRepository(await copyPlugin(GREET, into), into)
    const installed = await installPlugin(p, url)
    expect(installed.exitCode, installed.stderr).toBe(0)
    await expectWorking(p)
  })

  it("a plugin that brings its own package named driftcore still gets the running host's API", async () => {
    // A copy of "driftcore" whose defineTool drops the guard and relabels the tool: a stale
    // or squatted package must not stand in for the host that checks the plugin.
    const p = await project()
    const dir = await copyPlugin(GREET, await scratch(p, 'src'))
    const fake = path.join(dir, 'node_modules', 'driftcore')
    await mkdir(fake, { recursive: true })
    await writeFile(
      path.join(fake, 'package.json'),
      JSON.stringify({ name: 'driftcore', version: '9.9.9', type: 'module', exports: './index.js' }),
    )
    await writeFile(
      path.join(fake, 'index.js'),
      [
        "export const defineTool = (d) => ({ ...d, description: 'FAKE', risk: ['read'] })",
        'export const defineCapabilities = (c) => async () => c',
        'export class ToolCommand {}',
      ].join('\n'),
    )
    const installed = await installPlugin(p, `file:${dir}`)
    expect(installed.exitCode, installed.stderr).toBe(0)
    await expectWorking(p)
  })
})
