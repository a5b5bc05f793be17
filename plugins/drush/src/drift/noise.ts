import picomatch from 'picomatch'

export type KeyPath = readonly (string | number)[]

/**
 * Noise patterns are dot-separated key paths (`_core.default_config_hash`), where `*` stands
 * for one key and `**` for any depth (`**.uuid`). They are matched with picomatch on the path
 * written with slashes, so a key that itself contains a dot is still one segment.
 */
export function noiseMatcher(patterns: readonly string[]): (path: KeyPath) => boolean {
  if (patterns.length === 0) return () => false
  const globs = patterns.map((p) => p.split('.').join('/'))
  const match = picomatch(globs, { dot: true })
  return (path) => match(path.map(String).join('/'))
}

/**
 * A deep copy of a config value without the keys the matcher calls noise. A mapping that held
 * only noise goes too (`_core` once `_core.default_config_hash` is removed), all the way up:
 * what is noise once the noise is removed is noise.
 */
export function withoutNoise(
  value: unknown,
  isNoise: (path: KeyPath) => boolean,
  path: KeyPath = [],
): unknown {
  if (Array.isArray(value)) return value.map((v, i) => withoutNoise(v, isNoise, [...path, i]))
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) {
    const at = [...path, key]
    if (isNoise(at)) continue
    const kept = withoutNoise(v, isNoise, at)
    if (kept === EMPTIED) continue
    out[key] = kept
  }
  return Object.keys(out).length === 0 && Object.keys(value).length > 0 && path.length > 0 ? EMPTIED : out
}

const EMPTIED = Symbol('only noise')

/** Object-name globs (drift.ignore, drift.accept_site): `devel.*`, `language.*:*`. */
export function nameMatcher(patterns: readonly string[]): (name: string) => boolean {
  if (patterns.length === 0) return () => false
  // Object names contain dots and colons, never slashes: match them as single path segments.
  const match = picomatch([...patterns], { dot: true })
  return (name) => match(name)
}
