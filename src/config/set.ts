import type { Actor } from '../audit/record.js'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { loadTrustedKeys } from '../policy/signing.js'
import type { ProjectPaths } from '../store/paths.js'
import { setConfigValue } from './edit.js'
import { readConfigLayers, resolveConfig, userConfigFile } from './effective.js'
import type { ConfigHistory } from './history.js'
import { getPath } from './layers.js'
import type { ConfigSections } from './schema.js'

export interface ConfigSetInput {
  key: string
  value?: unknown
  layer: 'project' | 'user'
  /** Remove the key from the layer file instead (`config unset`): the next layer down decides. */
  unset?: boolean
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
    if (
      input.unset &&
      getPath(layers.find((l) => l.name === input.layer)?.values ?? {}, keyPath) === undefined
    ) {
      throw new DriftcoreError('not_found', `${input.key} is not set in the ${input.layer} layer (${file})`, {
        hint: `driftcore config effective --explain shows which layer sets it`,
      })
    }
    if (!input.unset && input.key === 'policy.trusted_keys')
      await checkTrustedKeys(input.value, options.paths)
    const after = await setConfigValue({
      layers,
      layerName: input.layer,
      file,
      keyPath,
      value: input.value,
      unset: input.unset === true,
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

/**
 * A trusted key that does not exist would only fail at the next publish, after the change was
 * recorded; relative paths are read from the project folder (the one holding .driftcore/), not
 * from wherever `config set` ran.
 */
async function checkTrustedKeys(value: unknown, paths: ProjectPaths): Promise<void> {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return
  await loadTrustedKeys(value, paths.root).catch((error: unknown) => {
    if (!(error instanceof DriftcoreError)) throw error
    throw new DriftcoreError(error.code, `${error.message}; nothing was written`, {
      hint: `paths in policy.trusted_keys are relative to the project folder ${paths.root}; create the key with driftcore policy keygen, or give its path`,
      cause: error,
    })
  })
}
