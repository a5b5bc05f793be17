import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { sha256 } from '../store/hash.js'
import { parseYamlValues, positionOf } from '../store/yaml.js'
import { yamlLib } from '../store/yaml-lib.js'

export type PlainObject = Record<string, unknown>

/** One source of config values, in precedence order: later layers win. */
export interface ConfigLayer {
  name: string
  /** The file the values came from, for error positions and `config effective --explain`. */
  file?: string
  values: PlainObject
  /** sha256 of the file's bytes as read, so a change to it can be named (`config.changed`). */
  digest?: string
  /** Where each key sits in the file, for errors at file:line:col. */
  locate?: (keyPath: readonly PropertyKey[], at?: 'key' | 'value') => { line: number; col: number }
}

export function isPlainObject(value: unknown): value is PlainObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

export async function readFileLayer(
  name: string,
  file: string,
  maxBytes: number,
): Promise<ConfigLayer | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  const parsed = parseYamlValues(text, file, maxBytes)
  const values = parsed.value ?? {}
  if (!isPlainObject(values)) {
    throw new DriftcoreError('invalid_input', `${file}:1:1: config must be a mapping of sections`, {
      hint: 'e.g. "audit:\\n  fsync: always"',
    })
  }
  return {
    name,
    file,
    values,
    digest: sha256(text),
    locate: (keyPath, at) => positionOf(parsed, keyPath, at),
  }
}

/** Pack overlays: `.driftcore/packs/<pack>/config.yaml`, applied in name order. */
export async function readPackLayers(packsDir: string, maxBytes: number): Promise<ConfigLayer[]> {
  let names: string[]
  try {
    names = (await readdir(packsDir)).sort()
  } catch {
    return []
  }
  const layers: ConfigLayer[] = []
  for (const name of names) {
    const layer = await readFileLayer(`pack:${name}`, path.join(packsDir, name, 'config.yaml'), maxBytes)
    if (layer) layers.push(layer)
  }
  return layers
}

/**
 * `DRIFTCORE_WORKFLOW__CONCURRENCY=4` sets workflow.concurrency: a double underscore separates keys, since
 * keys themselves contain underscores. Variables without one (DRIFTCORE_HOME…) are not config.
 */
export function envLayer(env: NodeJS.ProcessEnv): ConfigLayer {
  const values: PlainObject = {}
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('DRIFTCORE_') || !name.includes('__') || raw === undefined) continue
    const keyPath = name.slice('DRIFTCORE_'.length).toLowerCase().split('__')
    setPath(values, keyPath, parseValue(raw))
  }
  return { name: 'env', values }
}

/** `--config key.path=value` flags, the last layer. */
export function flagLayer(assignments: readonly string[]): ConfigLayer {
  const values: PlainObject = {}
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=')
    if (eq <= 0) {
      throw new DriftcoreError('invalid_input', `--config "${assignment}" is not key=value`, {
        hint: 'e.g. --config workflow.concurrency=4',
      })
    }
    setPath(values, assignment.slice(0, eq).split('.'), parseValue(assignment.slice(eq + 1)))
  }
  return { name: 'flag', values }
}

/** Values on the command line and in env are YAML, so `3`, `true` and `[a, b]` keep their types. */
export function parseValue(raw: string): unknown {
  try {
    return yamlLib().parse(raw) as unknown
  } catch {
    return raw
  }
}

/** Keys that would reach an object's prototype (zod reads inherited keys): never config. */
export function isForbiddenKey(key: string): boolean {
  return key === '__proto__' || key === 'constructor' || key === 'prototype'
}

export function setPath(target: PlainObject, keyPath: readonly string[], value: unknown): void {
  const bad = keyPath.find(isForbiddenKey)
  if (bad !== undefined) throw new DriftcoreError('invalid_input', `"${bad}" is not a config key`)
  let node = target
  keyPath.slice(0, -1).forEach((key) => {
    if (!isPlainObject(node[key])) node[key] = {}
    node = node[key] as PlainObject
  })
  node[keyPath[keyPath.length - 1]!] = value
}

export function getPath(source: unknown, keyPath: readonly PropertyKey[]): unknown {
  let node = source
  for (const key of keyPath) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<PropertyKey, unknown>)[key]
  }
  return node
}

export function hasPath(source: unknown, keyPath: readonly PropertyKey[]): boolean {
  let node = source
  for (const key of keyPath) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return false
    node = (node as Record<PropertyKey, unknown>)[key]
  }
  return true
}
