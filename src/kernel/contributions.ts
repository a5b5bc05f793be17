import type { Config as OclifConfig } from '@oclif/core'
import { DriftcoreError } from '../errors/driftcore-error.js'
import type { Contribution } from '../registry/registry.js'
import type { Capabilities } from '../registry/types.js'

/**
 * Runs every installed plugin's `driftcore:capabilities` hook (the host's own included). Each
 * result counts for the plugin oclif ran the hook of, never for a plugin it names; results come
 * back in oclif's plugin order (the host, bundled, user, then linked plugins), whatever order the
 * hooks finished in, so the first owner of a name is always the same plugin. A hook that fails
 * makes its plugin refused (see `Registry.refused`), not the command.
 */
export async function loadContributions(config: OclifConfig): Promise<Contribution[]> {
  const result = await config.runHook('driftcore:capabilities', {}, undefined, true)
  const order = [...config.plugins.keys()]
  const rank = (name: string) => {
    const at = order.indexOf(name)
    return at === -1 ? order.length : at
  }
  const contributions: Contribution[] = []
  for (const { plugin, result: capabilities } of result.successes) {
    if (capabilities === undefined || capabilities === null) continue
    contributions.push({
      plugin: plugin.name,
      capabilities: capabilities as Capabilities,
      ...(plugin.isRoot ? { core: true } : { packageJson: plugin.pjson as { driftcore?: unknown } }),
    })
  }
  for (const { plugin, error } of result.failures) {
    contributions.push({
      plugin: plugin.name,
      capabilities: {},
      error: new DriftcoreError(
        'internal',
        `plugin ${plugin.name} failed to load its capabilities: ${error.message}`,
        { hint: `reinstall or remove it: driftcore plugins uninstall ${plugin.name}`, cause: error },
      ),
    })
  }
  return contributions.sort((a, b) => rank(a.plugin) - rank(b.plugin))
}
