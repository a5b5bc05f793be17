import type { ConfigSet } from '../configset/config-set.js'
import type { YamlReader } from '../yaml/read.js'

/** What a config object declares it needs: `dependencies` and `dependencies.enforced`. */
export interface Needs {
  config: string[]
  module: string[]
  theme: string[]
}

const NONE: Needs = { config: [], module: [], theme: [] }

export function needsOf(value: unknown): Needs {
  const deps = record(record(value)?.dependencies)
  if (!deps) return NONE
  const enforced = record(deps.enforced)
  const list = (key: keyof Needs) => [...new Set([...strings(deps[key]), ...strings(enforced?.[key])])].sort()
  return { config: list('config'), module: list('module'), theme: list('theme') }
}

/**
 * Reads what objects of a set need, on demand and once each, and which of its objects name
 * another (a cheap byte search first, so a large export is not parsed whole).
 */
export class DependencyReader {
  private readonly cache = new Map<string, Needs>()

  constructor(
    private readonly set: ConfigSet,
    private readonly parse: YamlReader,
  ) {}

  has(name: string): boolean {
    return this.set.objects.has(name)
  }

  needs(name: string): Needs {
    const cached = this.cache.get(name)
    if (cached) return cached
    const file = this.set.objects.get(name)
    const needs = file?.bytes
      ? needsOf(this.parse(file.bytes.toString('utf8'), `${this.set.label}/${file.file}`))
      : NONE
    this.cache.set(name, needs)
    return needs
  }

  /** The objects whose dependencies.config name `name`. */
  dependents(name: string): string[] {
    const out: string[] = []
    for (const [other, file] of this.set.objects) {
      if (other === name || !file.bytes?.includes(name)) continue
      if (this.needs(other).config.includes(name)) out.push(other)
    }
    return out.sort()
  }

  /** The modules a core.extension in this set enables, or undefined when it has none. */
  modules(): Set<string> | undefined {
    const file = this.set.objects.get('core.extension')
    if (!file?.bytes) return undefined
    const value = record(this.parse(file.bytes.toString('utf8'), `${this.set.label}/${file.file}`))
    return new Set(Object.keys(record(value?.module) ?? {}))
  }
}

/**
 * The order Drupal applies config in: an object after what it needs (ConfigImporter sorts the
 * changelist by dependencies), ties by name; a cycle falls back to name order.
 */
export function dependencyOrder(
  names: readonly string[],
  needs: (name: string) => readonly string[],
): string[] {
  const wanted = new Set(names)
  const done = new Set<string>()
  const visiting = new Set<string>()
  const out: string[] = []
  const visit = (name: string) => {
    if (done.has(name) || visiting.has(name)) return
    visiting.add(name)
    for (const dep of [...needs(name)].sort()) if (wanted.has(dep)) visit(dep)
    visiting.delete(name)
    done.add(name)
    out.push(name)
  }
  for (const name of [...names].sort()) visit(name)
  return out
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}
