import { isDeepStrictEqual } from 'node:util'
import type { KeyPath } from './noise.js'

export interface KeyChange {
  /** The key path, e.g. `settings.cardinality` or `display.default.display_options`. */
  path: string
  kind: 'added' | 'removed' | 'changed'
  before?: unknown
  after?: unknown
  /** For lists of plain values (dependencies, permissions): what appeared and what went. */
  items_added?: unknown[]
  items_removed?: unknown[]
}

const PREVIEW_CHARS = 240

/**
 * The key-path differences between two parsed config values. Mappings compare by key, so
 * reordered keys are no change; sequences compare by position, except lists of plain values,
 * which report the items added and removed.
 */
export function diffValues(before: unknown, after: unknown, path: KeyPath = []): KeyChange[] {
  if (isDeepStrictEqual(before, after)) return []
  if (isMapping(before) && isMapping(after)) {
    const changes: KeyChange[] = []
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()
    for (const key of keys) {
      const at = [...path, key]
      if (!(key in after)) changes.push({ path: render(at), kind: 'removed', before: preview(before[key]) })
      else if (!(key in before)) changes.push({ path: render(at), kind: 'added', after: preview(after[key]) })
      else changes.push(...diffValues(before[key], after[key], at))
    }
    return changes
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    if (before.every(isPlain) && after.every(isPlain)) {
      const was = new Set(before.map((v) => JSON.stringify(v)))
      const now = new Set(after.map((v) => JSON.stringify(v)))
      return [
        {
          path: render(path),
          kind: 'changed',
          before: preview(before),
          after: preview(after),
          items_added: after.filter((v) => !was.has(JSON.stringify(v))),
          items_removed: before.filter((v) => !now.has(JSON.stringify(v))),
        },
      ]
    }
    const changes: KeyChange[] = []
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      const at = [...path, i]
      if (i >= after.length) changes.push({ path: render(at), kind: 'removed', before: preview(before[i]) })
      else if (i >= before.length) changes.push({ path: render(at), kind: 'added', after: preview(after[i]) })
      else changes.push(...diffValues(before[i], after[i], at))
    }
    return changes
  }
  return [{ path: render(path), kind: 'changed', before: preview(before), after: preview(after) }]
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function isPlain(value: unknown): boolean {
  return value === null || typeof value !== 'object'
}

/** `a.b[2].c`; keys that are not plain words are quoted: `permissions["access content"]`. */
export function render(path: KeyPath): string {
  if (path.length === 0) return '(whole object)'
  return path
    .map((key, i) =>
      typeof key === 'number'
        ? `[${key}]`
        : /^[A-Za-z0-9_-]+$/.test(key)
          ? `${i === 0 ? '' : '.'}${key}`
          : `[${JSON.stringify(key)}]`,
    )
    .join('')
}

// Whole views or displays can be added in one key: keep the report readable and bounded.
function preview(value: unknown): unknown {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'string' && value.length > PREVIEW_CHARS
      ? `${value.slice(0, PREVIEW_CHARS)}…`
      : value
  }
  const text = JSON.stringify(value)
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : value
}
