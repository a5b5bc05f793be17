import type { Config as OclifConfig } from '@oclif/core'
import { DriftcoreError } from '../errors/driftcore-error.js'
import type { Contribution } from '../registry/registry.js'
import type { Capabilities } from '../registry/types.js'

/** Runs every installed plugin's `driftcore:capabilities` hook (the host's own included). */
export async function loadContributions(config: OclifConfig): Promise<Contribution[]> {
  const result = await config.runHook('driftcore:capabilities', {}, undefined, true)
  const failure = result.failures[0]
  if (failure) {
    throw new DriftcoreError(
      'internal',
      `plugin ${failure.plugin.name} failed to load its capabilities: ${failure.error.message}`,
      {
        hint: `reinstall or remove it: driftcore plugins uninstall ${failure.plugin.name}`,
        cause: failure.error,
      },
    )
  }
  return result.successes
    .filter((s) => s.result !== undefined && s.result !== null)
    .map((s) => ({ plugin: s.plugin.name, capabilities: s.result as Capabilities }))
}
