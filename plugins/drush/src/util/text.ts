/** A scalar from parsed YAML or JSON as text; anything else (maps, lists, null) as the fallback. */
export function asText(value: unknown, fallback = ''): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value)
  return fallback
}
