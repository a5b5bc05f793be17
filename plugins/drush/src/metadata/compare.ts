import { isDeepStrictEqual } from 'node:util'
import type { EntityTypeMeta, FieldMeta, SiteMetadata } from './model.js'

export interface MetadataDelta {
  kind: 'entity_type' | 'bundle' | 'field'
  change: 'added' | 'removed' | 'changed'
  /** `node`, `node.article`, `node.article.field_tags`. */
  id: string
  /** For changed items: which properties changed, from what to what. */
  properties?: Record<string, { before: unknown; after: unknown }>
}

export interface MetadataComparison {
  deltas: MetadataDelta[]
  summary: Record<'entity_types' | 'bundles' | 'fields', { added: number; removed: number; changed: number }>
}

const TYPE_PROPS = [
  'label',
  'provider',
  'keys',
  'bundle_entity_type',
  'base_table',
  'revisionable',
  'translatable',
] as const
const FIELD_PROPS = [
  'label',
  'type',
  'required',
  'cardinality',
  'translatable',
  'target_type',
  'target_bundles',
  'allowed_values',
  'settings',
] as const

/**
 * What changed in a site's structure between two harvests, most significant first. Between
 * harvests from different sources (Drush and a config export) what either says it cannot know
 * (`unknown`) is not a change; PHP's empty array and an empty mapping are the same value.
 */
export function compareMetadata(before: SiteMetadata, after: SiteMetadata): MetadataComparison {
  const deltas: MetadataDelta[] = []
  const blind = new Set(before.source.kind === after.source.kind ? [] : [...before.unknown, ...after.unknown])
  for (const id of union(before.entity_types, after.entity_types)) {
    if (blind.has(`entity_type:${id}`)) continue
    const was = before.entity_types[id]
    const now = after.entity_types[id]
    if (!was || !now) {
      deltas.push({ kind: 'entity_type', change: was ? 'removed' : 'added', id })
      continue
    }
    pushChanged(deltas, 'entity_type', id, was, now, TYPE_PROPS)
    compareBundles(deltas, was, now, blind.has(`base_fields:${id}`))
  }
  return { deltas, summary: summarise(deltas) }
}

/** How many entity types, bundles and fields were added, removed and changed. */
export function summarise(deltas: readonly MetadataDelta[]): MetadataComparison['summary'] {
  const blank = () => ({ added: 0, removed: 0, changed: 0 })
  const summary = { entity_types: blank(), bundles: blank(), fields: blank() }
  const bucket = { entity_type: 'entity_types', bundle: 'bundles', field: 'fields' } as const
  for (const d of deltas) summary[bucket[d.kind]][d.change]++
  return summary
}

function compareBundles(
  deltas: MetadataDelta[],
  was: EntityTypeMeta,
  now: EntityTypeMeta,
  baseFieldsUnknown: boolean,
): void {
  for (const b of union(was.bundles, now.bundles)) {
    const before = was.bundles[b]
    const after = now.bundles[b]
    const id = `${was.id}.${b}`
    if (!before || !after) {
      deltas.push({ kind: 'bundle', change: before ? 'removed' : 'added', id })
      continue
    }
    pushChanged(deltas, 'bundle', id, before, after, ['label', 'translatable'] as const)
    for (const f of union(before.fields, after.fields)) {
      const x = before.fields[f]
      const y = after.fields[f]
      if (baseFieldsUnknown && (x ?? y)!.base) continue
      if (!x || !y) deltas.push({ kind: 'field', change: x ? 'removed' : 'added', id: `${id}.${f}` })
      else pushChanged<FieldMeta>(deltas, 'field', `${id}.${f}`, x, y, FIELD_PROPS)
    }
  }
}

function pushChanged<T extends object>(
  deltas: MetadataDelta[],
  kind: MetadataDelta['kind'],
  id: string,
  before: T,
  after: T,
  props: readonly (keyof T)[],
): void {
  const changed: Record<string, { before: unknown; after: unknown }> = {}
  for (const p of props) {
    if (!isDeepStrictEqual(phpValue(before[p]), phpValue(after[p])))
      changed[String(p)] = { before: before[p], after: after[p] }
  }
  if (Object.keys(changed).length > 0) deltas.push({ kind, change: 'changed', id, properties: changed })
}

function union(a: object, b: object): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
}

// PHP has one array type: an empty one is printed `[]` where config's YAML says `{  }`.
function phpValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? {} : value.map(phpValue)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, phpValue(v)]))
}
