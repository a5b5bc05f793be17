import { palette, type Palette } from 'driftcore/api'
import type { DriftReport } from '../drift/check.js'
import type { KeyChange } from '../drift/diff.js'

const MARK = { added: '+', removed: '-', changed: '~' } as const
const MAX_CHANGES = 12

/** `drift check` for people: the summary, each drifted object with its key paths, the plan. */
export function formatDriftReport(report: DriftReport, paint: Palette = palette()): string {
  const s = report.summary
  const lines = [
    report.drift
      ? `${paint.waiting('drift')}: ${s.changed} changed, ${s.added} added, ${s.removed} removed`
      : 'no drift',
    `  baseline ${report.baseline.source} (${report.baseline.kind}, ${report.baseline.objects} objects)`,
    `  current  ${report.current.source} (${report.current.kind}, ${report.current.objects} objects)`,
  ]
  if (report.precision === 'bytes')
    lines.push('  (one side holds only hashes: changes are by file, not by key)')
  for (const o of report.objects) {
    lines.push(
      `${paint.mark(MARK[o.status])} ${o.name}${o.recreated ? ' (a new uuid: an import deletes it and creates it again)' : ''}`,
    )
    for (const c of (o.changes ?? []).slice(0, MAX_CHANGES)) lines.push(`    ${formatChange(c)}`)
    const more = (o.changes?.length ?? 0) - MAX_CHANGES
    if (more > 0) lines.push(`    … and ${more} more`)
  }
  if (report.noise_only.length > 0) lines.push(`noise only, not drift: ${report.noise_only.join(', ')}`)
  if (report.equivalent.length > 0)
    lines.push(`reordered or reformatted, not drift: ${report.equivalent.join(', ')}`)
  if (!report.drift) return lines.join('\n')
  const { plan } = report
  lines.push('', 'remediation plan:')
  if (plan.import.length > 0)
    lines.push(`  import (restore the baseline): ${plan.import.map((i) => i.name).join(', ')}`)
  if (plan.reexport.length > 0)
    lines.push(
      `  re-export (accept the site): ${plan.reexport.map((i) => (i.needed_by ? `${i.name} (needed by ${i.needed_by})` : i.name)).join(', ')}`,
    )
  plan.steps.forEach((step, i) => {
    lines.push(`  ${i + 1}. ${step.tool} ${JSON.stringify(step.input)}`, `     ${step.why}`)
    if (step.tool === 'drush.configImport' && plan.order.length > 0)
      lines.push(`     in Drupal's order: ${plan.order.map((o) => `${o.op} ${o.name}`).join(', ')}`)
  })
  for (const note of plan.notes) lines.push(`  note: ${note}`)
  return lines.join('\n')
}

function formatChange(c: KeyChange): string {
  if (c.items_added || c.items_removed) {
    const items = [
      ...(c.items_added ?? []).map((v) => `+${show(v)}`),
      ...(c.items_removed ?? []).map((v) => `-${show(v)}`),
    ]
    return `${c.path}: ${items.length > 0 ? items.join(' ') : 'reordered'}`
  }
  if (c.kind === 'added') return `${c.path}: added ${show(c.after)}`
  if (c.kind === 'removed') return `${c.path}: removed (was ${show(c.before)})`
  return `${c.path}: ${show(c.before)} → ${show(c.after)}`
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined'
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}
