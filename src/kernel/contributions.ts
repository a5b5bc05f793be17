import type { Config as OclifConfig } from '@oclif/core'
import { DriftcoreError } from '../errors/driftcore-error.js'
import type { Contribution } from '../registry/registry.js'
import type { Capabilities } from '../registry/types.js'

/**
 * How long a plugin's capabilities hook may take: one that never returns would otherwise hang
 * every command and `mcp serve` before initialize. DRIFTCORE_PLUGIN_TIMEOUT_MS overrides it
 * (config cannot: its schema depends on what the hooks return).
 */
const HOOK_TIMEOUT_MS = 10_000

function hookTimeoutMs(env: NodeJS.ProcessEnv): number {
  const ms = Number(env.DRIFTCORE_PLUGIN_TIMEOUT_MS)
  return Number.isInteger(ms) && ms > 0 ? ms : HOOK_TIMEOUT_MS
}

// oclif's own timeout error for a hook (config.runHook's withTimeout).
function timedOut(error: Error): boolean {
  return /^Timed out after \d+ ms\.$/.test(error.message)
}

/**
 * Runs every installed plugin's `driftcore:capabilities` hook (the host's own included). Each
 * result counts for the plugin oclif ran the hook of, never for a plugin it names; results come
 * back in oclif's plugin order (the host, bundled, user, then linked plugins), whatever order the
 * hooks finished in, so the first owner of a name is always the same plugin. A hook that fails
 * makes its plugin refused (see `Registry.refused`), not the command.
 */
export async function loadContributions(
  config: OclifConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Contribution[]> {
  const timeout = hookTimeoutMs(env)
  // oclif's hook timer is unref'd: with a hook that waits on nothing, the process would just
  // end (exit 0, no output) before it fires. This one keeps the process alive until it does.
  const alive = setTimeout(() => undefined, timeout + 1_000)
  const result = await config
    .runHook('driftcore:capabilities', {}, timeout, true)
    .finally(() => clearTimeout(alive))
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
        `plugin ${plugin.name} failed to load its capabilities: ${timedOut(error) ? `its capabilities hook did not return within ${hookTimeoutMs(env)} ms` : error.message}`,
        { hint: `reinstall or remove it: driftcore plugins uninstall ${plugin.name}`, cause: error },
      ),
    })
  }
  return contributions.sort((a, b) => rank(a.plugin) - rank(b.plugin))
}
