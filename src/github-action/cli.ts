/**
 * driftcore as one file, for the GitHub Action (bundled to dist/action/cli.js by
 * scripts/build-action.mjs; never run unbundled). oclif finds plugins in node_modules and
 * commands by file path; a runner has neither, so the host and each core plugin are handed to
 * oclif ready-made: the same package facts, command classes and capabilities hooks as an
 * installed driftcore, all exported from this bundle (oclif's "explicit" command discovery).
 * Plugins stay separate plugins, so their tools keep their owners and name claims.
 */
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Config, Plugin, execute, settings } from '@oclif/core'
import { PLUGINS } from 'driftcore-action:plugins'

// oclif takes each plugin's commands and hooks from an export of this file, named by the build
// (commands0, capabilities0, …): the one place a wildcard re-export says what is meant.
export * from 'driftcore-action:plugins'

const ROOT = dirname(fileURLToPath(import.meta.url))

async function loadPlugins(): Promise<Map<string, Plugin>> {
  const plugins = new Map<string, Plugin>()
  for (const { root, pjson } of PLUGINS) {
    // A plugin with its package.json given is taken where it stands only as the root or a
    // linked one; a core plugin would be searched for in node_modules. So each child loads as
    // linked, then is what it is in an installed driftcore: a core plugin.
    const plugin = new Plugin({
      root: ROOT,
      pjson: structuredClone(pjson),
      isRoot: root,
      type: root ? 'core' : 'link',
    })
    await plugin.load()
    plugin.type = 'core'
    for (const command of plugin.commands) command.pluginType = 'core'
    plugins.set(plugin.name, plugin)
  }
  return plugins
}

async function main(): Promise<void> {
  // The bundle has no TypeScript sources for oclif to look for.
  settings.enableAutoTranspile = false
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error
  })
  const config = await Config.load({ root: ROOT, plugins: await loadPlugins() })
  await execute({ loadOptions: config })
}

// oclif imports this file for the commands while main() runs: no top-level await (that import
// would wait for this module to finish evaluating, which waits for main), and should the import
// ever evaluate a second copy, that copy does not run the CLI again.
const started = Symbol.for('driftcore.action.cli')
const state = globalThis as { [started]?: boolean }
if (!state[started]) {
  state[started] = true
  void main()
}
