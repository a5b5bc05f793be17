import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { coreContributions, type FoundPlugin } from '../../../src/kernel/core-plugins.js'

// The direct `tools call` runs each core plugin's capabilities hook itself, so a hook that
// throws, hangs or fails to import must come out as it does from oclif's runHook in
// loadContributions: that plugin refused with the same message, the others kept.

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-core-hooks-'))
  const hooks: Record<string, string> = {
    'ok.js': 'export default async () => ({ config: {} })\n',
    'named.js': 'export const x = 1\nexport async function capabilities() { return { tools: [] } }\n',
    'none.js': 'export const x = 1\n',
    'throws.js': "export default () => { throw new Error('no license key') }\n",
    'hangs.js': 'export default () => new Promise(() => {})\n',
    'import-fails.js': "throw new Error('native binding missing')\n",
  }
  for (const [file, text] of Object.entries(hooks)) await writeFile(path.join(dir, file), text)
})
afterAll(() => rm(dir, { recursive: true, force: true }))

function plugin(name: string, files: string[], isRoot = false): FoundPlugin {
  return { name, isRoot, pjson: { name }, root: dir, hookFiles: files.map((f) => path.join(dir, f)) }
}

describe('core plugins’ capabilities hooks run without oclif', () => {
  it('keeps what each hook returns, in order, and refuses only the plugin whose hook failed', async () => {
    const contributions = await coreContributions(
      [
        plugin('host', ['ok.js'], true),
        plugin('p-named', ['named.js', 'none.js']),
        plugin('p-throws', ['throws.js']),
        plugin('p-hangs', ['hangs.js']),
        plugin('p-import', ['import-fails.js']),
      ],
      { DRIFTCORE_PLUGIN_TIMEOUT_MS: '200' },
    )
    expect(contributions.map((c) => [c.plugin, c.error?.message])).toEqual([
      ['host', undefined],
      ['p-named', undefined],
      ['p-throws', 'plugin p-throws failed to load its capabilities: no license key'],
      [
        'p-hangs',
        'plugin p-hangs failed to load its capabilities: its capabilities hook did not return within 200 ms',
      ],
      ['p-import', 'plugin p-import failed to load its capabilities: native binding missing'],
    ])
    // The host owns the core names; another plugin's names come from its package.json.
    expect(contributions[0]).toMatchObject({ core: true, capabilities: { config: {} } })
    expect(contributions[1]).toMatchObject({ packageJson: { name: 'p-named' }, capabilities: { tools: [] } })
    expect(contributions[1]).not.toHaveProperty('core')
    expect(contributions[2]?.error?.hint).toBe('reinstall or remove it: driftcore plugins uninstall p-throws')
  })
})
