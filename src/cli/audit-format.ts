import type { AuditRecord } from '../audit/record.js'

export function auditLine(r: AuditRecord): string {
  const outcome = typeof r.data.outcome === 'string' ? ` ${r.data.outcome}` : ''
  const decision = typeof r.data.decision === 'string' ? ` ${r.data.decision}` : ''
  return `${String(r.seq).padStart(6)} ${r.at} ${r.type} ${r.actor.type}:${r.actor.id} ${r.subject}${decision}${outcome}`
}
