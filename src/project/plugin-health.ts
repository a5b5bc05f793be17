import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { Config as OclifConfig } from '@oclif/core'
import { skippedHooks } from '../cli/plugin-hooks.js'
import type { Check } from './doctor.js'

/**
 * What oclif skipped of an installed or linked plugin while loading it, which no command
 * reports: a lifecycle hook that failed, an oclif.manifest.json that is not JSON (oclif then
 * imports every command to describe it), a command whose module does not import. doctor shows
 * one error row per plugin with every reason; the capabilities hook is checked by the registry.
 */
export async function pluginLoadChecks(config: OclifConfig): Promise<Check[]> {
  const checks: Check[] = []
  for (const plugin of config.plugins.values()) {
    if (plugin.isRoot || plugin.type === 'core') continue
    const problems = skippedHooks()
      .filter((h) => h.plugin === plugin.name)
      .map((h) => `its ${h.event} hook fails (skipped): ${h.message}`)
    const manifest = await readFile(path.join(plugin.root, 'oclif.manifest.json'), 'utf8').catch(
      () => undefined,
    )
    if (manifest !== undefined) {
      try {
        JSON.parse(manifest)
      } catch (error) {
        problems.push(`its oclif.manifest.json is not valid JSON (${(error as Error).message})`)
      }
    }
    // The ids found on disk too: oclif drops a command whose module fails while it describes it.
    for (const id of new Set([...plugin.commandIDs, ...plugin.commands.map((c) => c.id)])) {
      try {
        await plugin.findCommand(id, { must: true })
      } catch (error) {
        problems.push(`its command "${id}" does not load: ${(error as Error).message}`)
      }
    }
    if (problems.length > 0)
      checks.push({
        check: `plugin ${plugin.name}`,
        status: 'error',
        detail: `${problems.join('; ')} (fix the plugin, or remove it: driftcore plugins uninstall ${plugin.name})`,
      })
  }
  checks.push(...(await unloaded(config)))
  return checks
}

// Plugins the user installed or linked that oclif dropped as a whole (a package.json that is
// not JSON, an oclif section it rejects), with the reason when it is the package.json.
async function unloaded(config: OclifConfig): Promise<Check[]> {
  const listed = await readFile(path.join(config.dataDir, 'package.json'), 'utf8')
    .then((text) => (JSON.parse(text) as { oclif?: { plugins?: { name: string; root?: string }[] } }).oclif)
    .catch(() => undefined)
  const checks: Check[] = []
  for (const entry of listed?.plugins ?? []) {
    if (typeof entry?.name !== 'string' || config.plugins.has(entry.name)) continue
    const root = entry.root ?? path.join(config.dataDir, 'node_modules', entry.name)
    let reason = 'oclif refused its package.json (run with DEBUG=* to see why)'
    try {
      JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'))
    } catch (error) {
      reason = `its package.json does not read: ${(error as Error).message}`
    }
    checks.push({
      check: `plugin ${entry.name}`,
      status: 'error',
      detail: `installed but not loaded: ${reason} (${root}; fix the plugin, or remove it: driftcore plugins uninstall ${entry.name})`,
    })
  }
  return checks
}
