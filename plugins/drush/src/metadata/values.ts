/**
 * The allowlisted config values (`system.site:page.front`) found in parsed config objects.
 * A key that looks like a secret is never served, even when someone allowlists it.
 */
export function configValues(
  objects: ReadonlyMap<string, Record<string, unknown>>,
  allowlist: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const entry of allowlist) {
    if (looksSecret(entry)) continue
    const [name, keyPath] = [entry.slice(0, entry.indexOf(':')), entry.slice(entry.indexOf(':') + 1)]
    let value: unknown = objects.get(name)
    for (const key of keyPath.split('.')) {
      value =
        value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined
    }
    if (value !== undefined) out[entry] = value
  }
  return out
}

const SECRET = /(pass|password|secret|token|key|salt|credential|private)(_|\.|$)/i

/** True for a state key or config path that may hold a credential (hash_salt, api_key…). */
export function looksSecret(name: string): boolean {
  return name.split(/[.:]/).some((part) => SECRET.test(part))
}
