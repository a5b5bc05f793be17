import { coreConfigSections } from '../config/schema.js'
import { DriftcoreError } from '../errors/driftcore-error.js'

/**
 * The names a plugin owns: tool ids `<prefix>.<verb>` and config sections `<prefix>:` for each
 * prefix, resources `driftcore://<name>/…` (or `<name>://…`) for each resource name. Policy rules
 * match on these names (`tools: [sandbox.*]`), so a name must say which plugin it belongs to.
 */
export interface PluginClaims {
  prefixes: readonly string[]
  resources: readonly string[]
}

/** The host's own plugin, as oclif names it. */
export const CORE_PLUGIN = 'driftcore'

/** What the host's own tools use. Its config sections (coreConfigSections) are reserved too. */
export const CORE_CLAIMS: PluginClaims = Object.freeze({
  prefixes: Object.freeze(['audit', 'config', 'policy', 'approvals', 'approvers', 'workflow', 'pool']),
  resources: Object.freeze([]),
})

const PREFIX = /^[a-z][a-zA-Z0-9]*$/
const RESOURCE = /^[a-z][a-z0-9-]*$/

/** Names no plugin may claim: the host's prefixes and its config sections. */
export function reservedByCore(name: string): boolean {
  return CORE_CLAIMS.prefixes.includes(name) || Object.hasOwn(coreConfigSections, name)
}

/**
 * A plugin's claims from its package.json: `"driftcore": {"prefixes": [...], "resources": [...]}`.
 * Without them it claims the name after `plugin-` (`@acme/driftcore-plugin-gitea` → `gitea`);
 * resources default to its prefixes.
 */
export function pluginClaims(plugin: string, pjson?: { driftcore?: unknown }): PluginClaims {
  if (plugin === CORE_PLUGIN && pjson === undefined) return CORE_CLAIMS
  const declared = (pjson?.driftcore ?? {}) as { prefixes?: unknown; resources?: unknown }
  const prefixes = declared.prefixes === undefined ? defaultPrefixes(plugin) : declared.prefixes
  const resources = declared.resources === undefined ? prefixes : declared.resources
  return {
    prefixes: names(plugin, 'prefixes', prefixes, PREFIX),
    resources: names(plugin, 'resources', resources, RESOURCE),
  }
}

function defaultPrefixes(plugin: string): string[] {
  const base = plugin.replace(/^@[^/]+\//, '')
  const at = base.lastIndexOf('plugin-')
  const name = at === -1 ? base : base.slice(at + 'plugin-'.length)
  return PREFIX.test(name) ? [name] : []
}

function names(plugin: string, key: string, value: unknown, shape: RegExp): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && shape.test(v))) {
    throw new DriftcoreError(
      'invalid_input',
      `plugin ${plugin}: driftcore.${key} in its package.json must be a list of names like ${shape === PREFIX ? '"gitea"' : '"gitea-repos"'}`,
      { hint: `fix its package.json, or remove it: driftcore plugins uninstall ${plugin}` },
    )
  }
  return [...new Set(value as string[])]
}
