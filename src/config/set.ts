import type { Actor } from '../audit/record.js'
import { DriftcoreError } from '../errors/driftcore-error.js'
import type { ProjectPaths } from '../store/paths.js'
import { setConfigValue } from './edit.js'
import { readConfigLayers, resolveConfig, userConfigFile } from './effective.js'
import type { ConfigHistory } from './history.js'
import { getPath } from './layers.js'
import type { ConfigSections } from './schema.js'

export interface ConfigSetInput {
  key: string
  value: unknown
  layer: 'project' | 'user'
}

export interface ConfigSetResult {
  key: string
  value: unknown
  layer: 'project' | 'user'
  file: string
  /** The effective config after the change (this process's env and flags included). */
  hash: string
  old_hash: string
  /** A higher layer that still decides the key, when there is one. */
  overridden_by?: string
}

/**
 * What the `config.set` tool does once the gate has let it through: read the layers fresh
 * from disk, write the one key (validated with every layer first), and record the change.
 */
export function configEditor(options: {
  paths: ProjectPaths
  env: NodeJS.ProcessEnv
  flags: readonly string[]
  sections: ConfigSections
  userConfigDir?: string
  history: ConfigHistory
}): (input: ConfigSetInput, actor: Actor) => Promise<ConfigSetResult> {
  return async (input, actor) => {
    const keyPath = input.key.split('.')
    if (keyPath.some((k) => k === '')) {
      throw new DriftcoreError('invalid_input', `"${input.key}" is not a dotted config key`, {
        hint: 'e.g. workflow.concurrency',
      })
    }
    const read = { paths: options.paths, env: options.env, flags: options.flags, sections: options.sections }
    const layers = await readConfigLayers({
      ...read,
      ...(options.userConfigDir ? { userConfigDir: options.userConfigDir } : {}),
    })
    const before = resolveConfig(layers, options.sections)
    await options.history.observe(before, options.sections, { type: 'system', id: 'driftcore' })
    const file =
      input.layer === 'project' ? options.paths.config : userConfigFile(options.userConfigDir, options.env)
    const after = await setConfigValue({
      layers,
      layerName: input.layer,
      file,
      keyPath,
      value: input.value,
      sections: options.sections,
    })
    const change = await options.history.changed(before, after, options.sections, actor, input.key)
    const origin = after.origins[input.key]
    return {
      key: input.key,
      value: getPath(after.values, keyPath),
      layer: input.layer,
      file,
      hash: after.hash,
      old_hash: change.old_hash ?? before.hash,
      ...(origin && origin !== input.layer ? { overridden_by: origin } : {}),
    }
  }
}
