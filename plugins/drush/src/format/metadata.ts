import type { MetadataComparison, MetadataDelta } from '../metadata/compare.js'

const MARK = { added: '+', removed: '-', changed: '~' } as const

/** Metadata deltas for people: counts per kind, then each delta with the properties that changed. */
export function formatMetadataComparison(c: Pick<MetadataComparison, 'summary' | 'deltas'>): string {
  const lines = [c.deltas.length === 0 ? 'no changes' : formatCounts(c.summary)]
  for (const d of c.deltas) lines.push(formatDelta(d))
  return lines.join('\n')
}

function formatDelta(d: MetadataDelta): string {
  const head = `${MARK[d.change]} ${d.kind.replace('_', ' ')} ${d.id}`
  if (!d.properties) return head
  const props = Object.entries(d.properties).map(
    ([p, v]) => `    ${p}: ${JSON.stringify(v.before)} → ${JSON.stringify(v.after)}`,
  )
  return [head, ...props].join('\n')
}

/** `entity types: +0 -0 ~1 · bundles: +1 -0 ~0 · fields: +2 -0 ~1` */
export function formatCounts(summary: MetadataComparison['summary']): string {
  return Object.entries(summary)
    .map(([kind, n]) => `${kind.replace('_', ' ')}: +${n.added} -${n.removed} ~${n.changed}`)
    .join(' · ')
}
