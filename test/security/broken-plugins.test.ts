import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HELLO, linkPlugin, stdioClient } from '../../plugins/mcp/test/helpers.js'
import { FIXTURES, json, runCli, tempProject, type TempProject } from '../helpers/project.js'
import { copyPlugin } from '../helpers/plugin-package.js'

// Plugins that break while they load, each in its own way, beside one that works (hello).
const BROKEN = {
  'driftcore-plugin-crashimport': 'broken-import', // its hook module throws at import
  'driftcore-plugin-crashhook': 'broken-hook', // its capabilities hook calls this.error()
  'driftcore-plugin-crashinit': 'broken-init', // its oclif init hook calls this.error()
  'driftcore-plugin-crashmanifest': 'broken-manifest', // manifest not JSON, a command that does not import
  'driftcore-plugin-hang': 'hang', // its capabilities hook never returns
} as const
// The capabilities hook may take this long here (10 s by default), so the hanging one is cut short.
const ENV = { DRIFTCORE_PLUGIN_TIMEOUT_MS: '1000' }

let project: TempProject
let mangled: string
beforeAll(async () => {
  project = await tempProject()
  for (const dir of Object.values(BROKEN)) await linkPlugin(project, path.join(FIXTURES, 'plugins', dir))
  // One whose package.json is edited after it was linked: oclif drops it as a whole.
  mangled = await copyPlugin(path.join(FIXTURES, 'plugins/rogue-prefix'), project.dir)
  await linkPlugin(project, mangled)
  await writeFile(path.join(mangled, 'package.json'), '{"name": "driftcore-plugin-peek",')
  await linkPlugin(project, HELLO)
}, 120_000)
afterAll(async () => project?.cleanup())

describe('a plugin that fails to load is skipped, named, and takes nothing else down', () => {
  it('tools list works, keeps every other tool, and names each broken plugin on stderr', async () => {
    const listed = await runCli(project, ['tools', 'list', '--json'], { env: ENV })
    expect(listed.exitCode, listed.stderr).toBe(0)
    const ids = json<{ id: string }[]>(listed).map((t) => t.id)
    expect(ids).toEqual(expect.arrayContaining(['hello.greet', 'audit.verify', 'sandbox.exec']))
    expect(listed.stderr).toMatch(/plugin driftcore-plugin-crashimport failed to load .*native binding/)
    expect(listed.stderr).toMatch(/plugin driftcore-plugin-crashhook failed to load .*no license key/)
    expect(listed.stderr).toMatch(
      /plugin driftcore-plugin-crashinit failed in its init hook.*refuses to start/,
    )
    expect(listed.stderr).toMatch(
      /plugin driftcore-plugin-hang failed to load .*did not return within 1000 ms/,
    )
  })

  it('tools call runs a healthy plugin’s tool', async () => {
    const called = await runCli(
      project,
      ['tools', 'call', 'hello.greet', '--input', '{"name":"x"}', '--json'],
      {
        env: ENV,
      },
    )
    expect(called.exitCode, called.stderr).toBe(0)
    expect(json(called).output.greeting).toBe('hello x')
  })

  it('doctor shows every broken plugin with its reason and exits 1', async () => {
    const doctor = await runCli(project, ['doctor', '--json'], { env: ENV })
    expect(doctor.exitCode, doctor.stderr).toBe(1)
    const rows = json<{ check: string; status: string; detail: string }[]>(doctor)
    // A plugin whose capabilities loaded but whose commands did not has an ok row and an error row.
    const row = (name: string) => rows.find((r) => r.check === `plugin ${name}` && r.status === 'error')
    for (const name of Object.keys(BROKEN)) expect(row(name)?.status, name).toBe('error')
    expect(row('driftcore-plugin-crashinit')?.detail).toMatch(/init hook fails .*refuses to start/)
    expect(row('driftcore-plugin-crashmanifest')?.detail).toMatch(/oclif\.manifest\.json is not valid JSON/)
    expect(row('driftcore-plugin-crashmanifest')?.detail).toMatch(
      /command "crashmanifest:run" does not load.*crashmanifest-not-installed/,
    )
    expect(row('driftcore-plugin-peek')).toMatchObject({ status: 'error' })
    expect(row('driftcore-plugin-peek')?.detail).toMatch(
      /installed but not loaded: its package\.json does not read/,
    )
    expect(rows.filter((r) => r.check === 'plugin driftcore-plugin-hello')).toEqual([
      expect.objectContaining({ status: 'ok' }),
    ])
  })

  it('mcp serve initializes and serves the healthy tools to the SDK client', async () => {
    const connected = await stdioClient(project, { env: ENV })
    try {
      const { tools } = await connected.client.listTools()
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['hello.greet', 'audit.verify']))
      const result = await connected.client.callTool({ name: 'hello.greet', arguments: { name: 'y' } })
      expect(result.isError).toBeFalsy()
      expect(connected.stderr()).toMatch(/driftcore-plugin-crashinit/)
    } finally {
      await connected.close()
    }
  })

  it('the plugin whose init hook fails can still be uninstalled', async () => {
    const removed = await runCli(project, ['plugins', 'uninstall', 'driftcore-plugin-crashinit'], {
      env: ENV,
    })
    expect(removed.exitCode, removed.stderr).toBe(0)
    const listed = await runCli(project, ['tools', 'list', '--json'], { env: ENV })
    expect(listed.stderr).not.toMatch(/crashinit/)
  })
})
