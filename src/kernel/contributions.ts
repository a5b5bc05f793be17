import type { Config as OclifConfig } from '@oclif/core'
import { DriftcoreError } from '../errors/driftcore-error.js'
import type { Contribution } from '../registry/registry.js'

/**
 * How long a plugin's capabilities hook may take: one that never returns would otherwise hang
 * every command and `mcp serve` before initialize. DRIFTCORE_PLUGIN_TIMEOUT_MS overrides it
 * (config cannot: its schema depends on what the hooks return).
 */
const HOOK_TIMEOUT_MS = 10_000

export function hookTimeoutMs(env: NodeJS.ProcessEnv): number {
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
 * back in one order (the host, then bundled, user and linked plugins, each by name), whatever
 * order oclif loaded them and the hooks finished in, so the first owner of a name is always
 * the same plugin. A hook that fails makes its plugin refused (see `Registry.refused`), not
 * the command.
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
  // oclif loads plugins in parallel, so its map's order varies from run to run: the host, then
  // by kind (bundled, user, linked) and name, which the direct entry (core-plugins.ts) keeps too.
  const order = [...config.plugins.values()]
    .sort((a, b) => pluginRank(a) - pluginRank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((p) => p.name)
  const rank = (name: string) => {
    const at = order.indexOf(name)
    return at === -1 ? order.length : at
  }
  const contributions: Contribution[] = []
  for (const { plugin, result: capabilities } of result.successes) {
    const contribution = contributionOf(plugin, capabilities)
    if (contribution) contributions.push(contribution)
  }
  for (const { plugin, error } of result.failures) contributions.push(refusedContribution(plugin, error, env))
  return contributions.sort((a, b) => rank(a.plugin) - rank(b.plugin))
}

const KINDS = ['core', 'user', 'link']

function pluginRank(plugin: { isRoot: boolean; type: string }): number {
  if (plugin.isRoot) return 0
  const kind = KINDS.indexOf(plugin.type)
  return kind === -1 ? KINDS.length + 1 : kind + 1
}

/** What oclif (or the direct entry) knows of a plugin whose capabilities hook ran. */
export interface HookPlugin {
  name: string
  isRoot: boolean
  pjson: unknown
}

/** A hook's answer as the registry takes it; undefined when it contributed nothing. */
export function contributionOf(plugin: HookPlugin, capabilities: unknown): Contribution | undefined {
  if (capabilities === undefined || capabilities === null) return undefined
  return {
    plugin: plugin.name,
    // A hook's answer is checked by the registry (`Registry.create`), not trusted here.
    capabilities,
    ...(plugin.isRoot ? { core: true } : { packageJson: plugin.pjson as { driftcore?: unknown } }),
  }
}

/** A plugin whose capabilities hook failed or timed out: refused, naming why. */
export function refusedContribution(
  plugin: HookPlugin,
  error: Error,
  env: NodeJS.ProcessEnv = process.env,
): Contribution {
  return {
    plugin: plugin.name,
    capabilities: {},
    error: new DriftcoreError(
      'internal',
      `plugin ${plugin.name} failed to load its capabilities: ${timedOut(error) ? `its capabilities hook did not return within ${hookTimeoutMs(env)} ms` : error.message}`,
      { hint: `reinstall or remove it: driftcore plugins uninstall ${plugin.name}`, cause: error },
    ),
  }
}
