import { isDeepStrictEqual } from 'node:util'
import type { ConfigFile, ConfigSet } from '../configset/config-set.js'
import type { YamlReader } from '../yaml/read.js'
import { diffValues, type KeyChange } from './diff.js'
import { nameMatcher, noiseMatcher, withoutNoise } from './noise.js'

export type ObjectStatus = 'added' | 'removed' | 'changed'

export interface ObjectDrift {
  name: string
  file: string
  status: ObjectStatus
  /** Key-path changes; absent when only hashes could be compared. */
  changes?: KeyChange[]
  /**
   * Its uuid differs: to Drupal another object of the same name. An import deletes the site's
   * object and creates the baseline's (config:status says "Only in sync dir"), and what hangs
   * off it (a bundle's content, a field's data) goes with the old one.
   */
  recreated?: true
}

export interface CompareOptions {
  noise: readonly string[]
  ignore: readonly string[]
  parse: YamlReader
}

export interface Comparison {
  drift: ObjectDrift[]
  /** Objects whose only differences are noise (uuid, _core.default_config_hash…). */
  noise_only: string[]
  /** Objects whose bytes differ but whose values are equal (reordered keys, quoting, spacing). */
  equivalent: string[]
  unchanged: number
  ignored: number
  /** 'keys' when every changed object was compared key by key, 'bytes' when some only by hash. */
  precision: 'keys' | 'bytes'
}

/**
 * Compares two exports object by object. Identical bytes are the same config and are not
 * parsed; everything else is parsed (so an invalid file is an error naming it), stripped of
 * noise and compared by value.
 */
export function compareSets(baseline: ConfigSet, current: ConfigSet, options: CompareOptions): Comparison {
  const isNoise = noiseMatcher(options.noise)
  const ignored = nameMatcher(options.ignore)
  const read = (set: ConfigSet, f: ConfigFile) =>
    options.parse(f.bytes!.toString('utf8'), `${set.label}/${f.file}`)
  const result: Comparison = {
    drift: [],
    noise_only: [],
    equivalent: [],
    unchanged: 0,
    ignored: 0,
    precision: 'keys',
  }
  const names = [...new Set([...baseline.objects.keys(), ...current.objects.keys()])].sort()
  for (const name of names) {
    if (ignored(name)) {
      result.ignored++
      continue
    }
    const was = baseline.objects.get(name)
    const now = current.objects.get(name)
    if (!was || !now) {
      const only = (was ?? now)!
      // Parse it anyway: a new file that is not valid YAML must not pass as mere drift.
      if (only.bytes) read(was ? baseline : current, only)
      result.drift.push({ name, file: only.file, status: was ? 'removed' : 'added' })
      continue
    }
    if (was.sha256 === now.sha256) {
      result.unchanged++
      continue
    }
    if (!was.bytes || !now.bytes) {
      result.precision = 'bytes'
      result.drift.push({ name, file: now.file, status: 'changed' })
      continue
    }
    const before = read(baseline, was)
    const after = read(current, now)
    // A uuid is never noise at the top: a new one is a new object to Drupal.
    const recreated = uuidOf(before) !== uuidOf(after)
    const changes = diffValues(withoutNoise(before, isNoise), withoutNoise(after, isNoise))
    if (recreated && !changes.some((c) => c.path === 'uuid'))
      changes.unshift({ path: 'uuid', kind: 'changed', before: uuidOf(before), after: uuidOf(after) })
    if (changes.length > 0)
      result.drift.push({
        name,
        file: now.file,
        status: 'changed',
        changes,
        ...(recreated ? { recreated: true } : {}),
      })
    else if (isDeepStrictEqual(before, after)) result.equivalent.push(name)
    else result.noise_only.push(name)
  }
  return result
}

function uuidOf(value: unknown): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>).uuid
    : undefined
}
