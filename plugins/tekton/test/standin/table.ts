import { tektonCrds } from './crd-schema.js'
import type { KubeObject } from './store.js'

// The JSONPath forms Tekton's printer columns use: `.a.b` and `[?(@.type=="Succeeded")]`.
function jsonPath(object: unknown, expr: string): unknown {
  let values: unknown[] = [object]
  for (const part of expr.match(/\.[A-Za-z0-9_-]+|\[\?\(@\.[A-Za-z]+=="[^"]*"\)\]/g) ?? []) {
    const filter = /^\[\?\(@\.([A-Za-z]+)=="([^"]*)"\)\]$/.exec(part)
    values = values.flatMap((v) => {
      if (filter)
        return Array.isArray(v)
          ? v.filter((x) => (x as Record<string, unknown>)?.[filter[1]!] === filter[2])
          : []
      const next = v && typeof v === 'object' ? (v as Record<string, unknown>)[part.slice(1)] : undefined
      return next === undefined ? [] : [next]
    })
  }
  return values[0]
}

// What the API server prints for a time: how long ago, the way kubectl words it (5s, 3m10s, 2h).
function age(at: string | undefined): string {
  if (!at) return '<unknown>'
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(at)) / 1000))
  if (s < 120) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`
  if (m < 180) return `${m}m`
  return `${Math.floor(m / 60)}h`
}

const POD_COLUMNS = [
  { name: 'Ready', type: 'string', jsonPath: '' },
  { name: 'Status', type: 'string', jsonPath: '.status.phase' },
]

/** A meta.k8s.io/v1 Table as the API server returns it to `kubectl get`: the CRD's printer columns, then Age. */
export function table(
  plural: string,
  items: KubeObject[],
  resourceVersion: string,
  includeObject: string | null,
  rowsOnly = false,
) {
  const columns = tektonCrds().get(plural)?.printerColumns ?? (plural === 'pods' ? POD_COLUMNS : [])
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    ...(rowsOnly
      ? {}
      : {
          columnDefinitions: [
            {
              name: 'Name',
              type: 'string',
              format: 'name',
              description: 'Name must be unique within a namespace.',
              priority: 0,
            },
            ...columns.map((c) => ({ name: c.name, type: c.type, format: '', description: '', priority: 0 })),
            { name: 'Age', type: 'date', format: '', description: 'CreationTimestamp', priority: 0 },
          ],
        }),
    rows: items.map((o) => ({
      cells: [
        o.metadata.name,
        ...columns.map((c) => {
          if (plural === 'pods' && c.name === 'Ready') {
            const n = (o.spec as { containers: unknown[] }).containers.length
            return `${(o.status as { phase?: string }).phase === 'Running' ? n : 0}/${n}`
          }
          const v = jsonPath(o, c.jsonPath)
          if (v === undefined) return ''
          return c.type === 'date' && typeof v === 'string' ? age(v) : v
        }),
        age(o.metadata.creationTimestamp),
      ],
      object:
        includeObject === 'Object'
          ? o
          : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  }
}
