import picomatch from 'picomatch'
import type { AuditQuery } from './query.js'
import type { Actor, AuditRecord, Identity } from './record.js'

export function auditFilter(query: AuditQuery): (record: AuditRecord) => boolean {
  const type = query.type ? picomatch(query.type) : undefined
  const subject = query.subject ? picomatch(query.subject) : undefined
  const actor = query.actor ? actorMatcher(query.actor) : undefined
  const identity = identityMatcher(query)
  const since = query.since?.toISOString()
  const until = query.until?.toISOString()
  return (r) =>
    (!type || type(r.type)) &&
    (!subject || subject(r.subject)) &&
    (!actor || actor(r.actor)) &&
    (!identity || identity(r.identity)) &&
    (!query.trace_id || query.trace_id === r.trace_id) &&
    (!since || r.at >= since) &&
    (!until || r.at <= until)
}

// Actor ids hold `/` (`agent:claude-code/<session>`) but are not paths: `agent:*` should find
// every agent, so `*` crosses `/` here (picomatch's bash mode). A pattern with no glob keeps
// its exact meaning; one with no `:` may match the id alone, like an exact id does.
function actorMatcher(pattern: string): (actor: Actor) => boolean {
  if (!picomatch.scan(pattern).isGlob) return (a) => pattern === `${a.type}:${a.id}` || pattern === a.id
  const match = picomatch(pattern, { dot: true, bash: true })
  const idAlone = !pattern.includes(':')
  return (a) => match(`${a.type}:${a.id}`) || (idAlone && match(a.id))
}

function identityMatcher(query: AuditQuery): ((identity: Identity | undefined) => boolean) | undefined {
  const glob = (pattern: string | undefined) =>
    pattern === undefined ? undefined : picomatch(pattern, { dot: true, bash: true })
  const tests: ((i: Identity) => boolean)[] = []
  const add = (pattern: string | undefined, ...fields: ((i: Identity) => string | undefined)[]) => {
    const match = glob(pattern)
    if (!match) return
    tests.push((i) =>
      fields.some((field) => {
        const value = field(i)
        return value !== undefined && match(value)
      }),
    )
  }
  add(query.os_user, (i) => i.os_user)
  add(query.mcp_client, (i) => i.mcp?.client)
  add(query.session, (i) => i.mcp?.session)
  add(query.token, (i) => i.token)
  add(
    query.key,
    (i) => i.key?.principal,
    (i) => i.key?.fingerprint,
  )
  const uid = query.uid
  if (uid !== undefined) tests.push((i) => i.uid === uid)
  if (tests.length === 0) return undefined
  return (identity) => identity !== undefined && tests.every((test) => test(identity))
}
