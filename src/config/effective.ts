import os from 'node:os'
import path from 'node:path'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { canonicalHash } from '../store/hash.js'
import type { ProjectPaths } from '../store/paths.js'
import { DEFAULT_MAX_YAML_BYTES } from '../store/yaml.js'
import {
  envLayer,
  flagLayer,
  hasPath,
  isForbiddenKey,
  isPlainObject,
  readFileLayer,
  readPackLayers,
  type ConfigLayer,
  type PlainObject,
} from './layers.js'
import { assertNoProtectedOverrides } from './protected.js'
import { configSchema, ONE_SHOT_PARSE, type ConfigSections, type CoreConfig } from './schema.js'

/** Bumped when the meaning of config keys changes incompatibly. */
export const CONFIG_VERSION = 1

export interface EffectiveConfig {
  values: CoreConfig & Record<string, unknown>
  /** Dotted key → the layer that set it (default, user, project, pack:NAME, env, flag). */
  origins: Record<string, string>
  version: number
  /** sha256 of the canonical JSON of `values`. */
  hash: string
  layers: ConfigLayer[]
}

export interface LoadConfigOptions {
  paths: ProjectPaths
  /** oclif's config dir; defaults to $XDG_CONFIG_HOME/driftcore. */
  userConfigDir?: string
  env?: NodeJS.ProcessEnv
  flags?: readonly string[]
  /** Sections contributed by plugins. */
  sections?: ConfigSections
}

export function userConfigFile(userConfigDir: string | undefined, env: NodeJS.ProcessEnv): string {
  const dir =
    userConfigDir ??
    path.join(env.XDG_CONFIG_HOME ?? path.join(env.HOME ?? os.homedir(), '.config'), 'driftcore')
  return path.join(dir, 'config.yaml')
}

export async function readConfigLayers(options: LoadConfigOptions): Promise<ConfigLayer[]> {
  const env = options.env ?? process.env
  const schema = configSchema(options.sections)
  const defaults = schema.parse({}, ONE_SHOT_PARSE) as PlainObject
  const max = DEFAULT_MAX_YAML_BYTES
  const layers: (ConfigLayer | undefined)[] = [
    { name: 'default', values: defaults },
    await readFileLayer('user', userConfigFile(options.userConfigDir, env), max),
    await readFileLayer('project', options.paths.config, max),
    ...(await readPackLayers(options.paths.packs, max)),
    envLayer(env),
    flagLayer(options.flags ?? []),
  ]
  return layers.filter((l): l is ConfigLayer => l !== undefined)
}

/**
 * Merges the layers in order and validates the result against core and plugin sections. A
 * protected key set by a layer that may not set it is refused before anything is merged.
 */
export function resolveConfig(layers: ConfigLayer[], sections: ConfigSections = {}): EffectiveConfig {
  assertNoProtectedOverrides(layers, (layer, keyPath) => placeIn(layer, keyPath, 'key'))
  const merged: PlainObject = {}
  const origins: Record<string, string> = {}
  for (const layer of layers) mergeInto(merged, layer.values, [], layer, origins)
  const result = configSchema(sections).safeParse(merged, ONE_SHOT_PARSE)
  if (!result.success) {
    const problems = result.error.issues.flatMap((issue) => {
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined]
      return keys.map((key) => {
        const keyPath = key === undefined ? issue.path : [...issue.path, key]
        const message = key === undefined ? issue.message : `unknown config key "${keyPath.join('.')}"`
        return `${whereSet(layers, keyPath, key === undefined ? 'value' : 'key')}: ${keyPath.join('.')}: ${message}`
      })
    })
    throw new DriftcoreError('invalid_input', `config is not valid:\n  ${problems.join('\n  ')}`, {
      hint: 'run `driftcore config effective --explain` to see every key, its value and the layer that set it',
      details: { problems },
    })
  }
  const values = result.data as EffectiveConfig['values']
  return { values, origins, version: CONFIG_VERSION, hash: canonicalHash(values), layers }
}

export async function loadConfig(options: LoadConfigOptions): Promise<EffectiveConfig> {
  return resolveConfig(await readConfigLayers(options), options.sections)
}

function mergeInto(
  target: PlainObject,
  source: PlainObject,
  prefix: string[],
  layer: ConfigLayer,
  origins: Record<string, string>,
): void {
  for (const [key, value] of Object.entries(source)) {
    const keyPath = [...prefix, key]
    // A key named __proto__ would set the merged object's prototype, and zod reads inherited keys.
    if (isForbiddenKey(key)) {
      throw new DriftcoreError(
        'invalid_input',
        `${placeIn(layer, keyPath, 'key')}: "${key}" is not a config key`,
      )
    }
    if (isPlainObject(value)) {
      if (!isPlainObject(target[key])) target[key] = {}
      mergeInto(target[key] as PlainObject, value, keyPath, layer, origins)
      if (Object.keys(value).length === 0) origins[keyPath.join('.')] ??= layer.name
    } else {
      target[key] = value
      origins[keyPath.join('.')] = layer.name
    }
  }
}

/** Names the place a bad key came from: file:line:col for files, the variable or flag otherwise. */
function whereSet(layers: ConfigLayer[], keyPath: readonly PropertyKey[], at: 'key' | 'value'): string {
  // The layer that wrote the full path wins; failing that, the one with the deepest prefix
  // (a missing key is reported where its parent was written).
  for (let n = keyPath.length; n > 0; n--) {
    const prefix = keyPath.slice(0, n)
    const layer = layers.findLast((l) => hasPath(l.values, prefix))
    if (layer) return placeIn(layer, keyPath, at)
  }
  return 'config'
}

/** file:line:col in a file layer, the variable in the env layer, the flag in the flag layer. */
function placeIn(layer: ConfigLayer, keyPath: readonly PropertyKey[], at: 'key' | 'value'): string {
  if (layer.file && layer.locate) {
    const { line, col } = layer.locate(keyPath, at)
    return `${layer.file}:${line}:${col}`
  }
  if (layer.name === 'env') return `env DRIFTCORE_${keyPath.map(String).join('__').toUpperCase()}`
  if (layer.name === 'flag') return `--config ${keyPath.join('.')}`
  return `${layer.name} layer`
}
