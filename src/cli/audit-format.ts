import { escapeText } from '../audit/identity.js'
import type { AuditRecord, Identity } from '../audit/record.js'

/**
 * One record as one line. Every field that someone other than driftcore chose (an actor from
 * DRIFTCORE_ACTOR, an MCP client's name, a subject) is escaped, and quoted when it holds more
 * than name characters, so no value can break the line or pass for another field.
 */
export function auditLine(r: AuditRecord): string {
  const outcome = typeof r.data.outcome === 'string' ? ` ${shown(r.data.outcome)}` : ''
  const decision = typeof r.data.decision === 'string' ? ` ${shown(r.data.decision)}` : ''
  const identity = r.identity ? ` [${identityText(r.identity)}]` : ''
  return `${String(r.seq).padStart(6)} ${r.at} ${shown(r.type)} ${shown(`${r.actor.type}:${r.actor.id}`)} ${shown(r.subject)}${decision}${outcome}${identity}`
}

/** `alice(1000) tty=/dev/pts/3 mcp=claude-code/3f9a0c1d token=ops key=alice/SHA256:…` */
export function identityText(i: Identity): string {
  const parts = [`${shown(i.os_user)}(${shown(i.uid)})`]
  if (i.tty) parts.push(`tty=${shown(i.tty)}`)
  if (i.mcp) parts.push(`mcp=${shown(i.mcp.client)}/${shown(i.mcp.session)}`)
  if (i.token !== undefined) parts.push(`token=${shown(i.token)}`)
  if (i.key) parts.push(`key=${shown(i.key.principal)}/${shown(i.key.fingerprint)}`)
  return parts.join(' ')
}

function shown(value: unknown): string {
  const text = escapeText(value)
  // escapeText already doubled every backslash, so inside the quotes `\"` can only be a quote.
  return /^[\w.@:/+=-]+$/.test(text) ? text : `"${text.replaceAll('"', '\\"')}"`
}
