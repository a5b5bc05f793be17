/** Kubernetes object and Tekton pipeline-task names: DNS-1123 labels (a-z, 0-9, "-", at most 63). */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

/** A DNS-1123 label made from a driftcore id (`export_after` → `export-after`), at most `max` long. */
export function dnsLabel(id: string, max = 63): string {
  let name = id
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
  if (name === '' || !/^[a-z]/.test(name)) name = `s-${name}`.replace(/-+$/, '')
  return name.slice(0, max).replace(/-+$/, '')
}

/**
 * Task names for step ids, unique: step ids differ by case or `_` where labels cannot
 * (`Build` and `build`), so a later one takes a suffix rather than silently sharing a task.
 */
export function taskNames(ids: readonly string[]): Map<string, string> {
  const taken = new Set<string>()
  const names = new Map<string, string>()
  for (const id of ids) {
    const base = dnsLabel(id, 57)
    let name = base
    for (let n = 2; taken.has(name); n++) name = `${base}-${n}`
    taken.add(name)
    names.set(id, name)
  }
  return names
}
