import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mergeIdentity, processIdentity, safeText, withIdentity } from '../../../src/audit/identity.js'
import { AuditLog } from '../../../src/audit/log.js'
import { auditFilter } from '../../../src/audit/filter.js'
import { queryAudit, tailAudit } from '../../../src/audit/query.js'
import { GENESIS, type AuditRecord, type Identity } from '../../../src/audit/record.js'
import { Redactor } from '../../../src/audit/redact.js'
import { verifyAudit } from '../../../src/audit/verify.js'
import { auditLine } from '../../../src/cli/audit-format.js'

let dir: string
const actor = { type: 'human', id: 'alice' }
const ME: Identity = { os_user: 'alice', uid: 1000, tty: '/dev/pts/3' }

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-identity-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

function log(identity?: Identity, redactor = new Redactor()): AuditLog {
  return new AuditLog(dir, {
    fsync: 'batch',
    batchIntervalMs: 5,
    segmentMaxBytes: 64 * 1024 * 1024,
    redactor,
    ...(identity ? { identity } : {}),
  })
}

/** Lines exactly as the log wrote them before records had an identity (seq … actor, subject … prev). */
async function writeOldLog(count: number): Promise<void> {
  let prev = GENESIS
  let text = ''
  for (let seq = 1; seq <= count; seq++) {
    const body = JSON.stringify({
      seq,
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
      type: 'tool.call',
      actor: { type: 'agent', id: `claude-code/old${seq}` },
      subject: 'drush.status',
      trace_id: `t${seq}`,
      data: { outcome: 'ok' },
      prev,
    }).slice(0, -1)
    const hash = createHash('sha256').update(body).digest('hex')
    text += `${body},"hash":"${hash}"}\n`
    prev = hash
  }
  await writeFile(path.join(dir, '000001.jsonl'), text)
  await writeFile(
    path.join(dir, 'HEAD.json'),
    JSON.stringify({ segment: '000001.jsonl', seq: count, hash: prev, size: Buffer.byteLength(text) }),
  )
}

describe('identity in audit records', () => {
  it('puts identity right after actor in the sealed record, and the chain verifies', async () => {
    const audit = log(ME)
    await audit.record({
      type: 'tool.call',
      actor: { type: 'agent', id: 'claude-code/3f9a' },
      identity: { mcp: { client: 'claude-code', session: '3f9a' } },
      subject: 'drush.status',
    })
    await audit.close()
    const line = (await readFile(path.join(dir, '000001.jsonl'), 'utf8')).trim()
    expect(Object.keys(JSON.parse(line) as object)).toEqual([
      'seq',
      'at',
      'type',
      'actor',
      'identity',
      'subject',
      'trace_id',
      'data',
      'prev',
      'hash',
    ])
    const [record] = await queryAudit(dir, {})
    expect(record!.identity).toEqual({ ...ME, mcp: { client: 'claude-code', session: '3f9a' } })
    expect(await verifyAudit(dir)).toMatchObject({ ok: true, records: 1 })
  })

  it("gives every record the process's own identity when the caller adds nothing", async () => {
    const audit = log()
    await audit.record({ type: 'config.changed', actor, subject: 'config' })
    await audit.close()
    const [record] = await queryAudit(dir, {})
    expect(record!.identity).toEqual(processIdentity())
    expect(record!.identity!.uid).toBe(process.getuid!())
    expect(record!.identity!.os_user).toBe(os.userInfo().username)
  })

  it('a log written before identities existed still verifies, reads, and takes new records on top', async () => {
    await writeOldLog(3)
    expect(await verifyAudit(dir)).toMatchObject({ ok: true, records: 3 })
    const audit = log(ME)
    await audit.record({ type: 'tool.call', actor, subject: 'drush.status' })
    await audit.close()
    expect(await verifyAudit(dir)).toMatchObject({ ok: true, records: 4 })
    const records = await tailAudit(dir, 10)
    expect(records.map((r) => r.identity)).toEqual([undefined, undefined, undefined, ME])
    // The old ones print as before; the new one shows its identity.
    expect(auditLine(records[0]!)).toMatch(/tool\.call agent:claude-code\/old1 drush\.status ok$/)
    expect(auditLine(records[3]!)).toMatch(/human:alice drush\.status \[alice\(1000\) tty=\/dev\/pts\/3\]$/)
    // Queries over identity never match a record that has none.
    expect((await queryAudit(dir, { os_user: '*' })).map((r) => r.seq)).toEqual([4])
    expect((await queryAudit(dir, { actor: 'agent:claude-code/*' })).map((r) => r.seq)).toEqual([1, 2, 3])
  })

  it('gives records written inside withIdentity the caller identity, taken when each record is made', async () => {
    const audit = log(ME)
    const session = { mcp: { client: 'claude-code', session: 's1' } }
    await withIdentity(session, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1))
      await audit.record({ type: 'config.changed', actor, subject: 'config', data: () => ({}) })
      await audit.record({ type: 'approval.approved', actor, subject: 'a', identity: { token: 'ops' } })
    })
    await audit.record({ type: 'config.changed', actor, subject: 'after' })
    await audit.close()
    expect((await queryAudit(dir, {})).map((r) => r.identity)).toEqual([
      { ...ME, ...session },
      { ...ME, ...session, token: 'ops' },
      ME,
    ])
  })

  it("masks a secret inside an identity value, but not a token's name for being under `token`", async () => {
    const redactor = new Redactor()
    redactor.register('s3cr3t-bearer-value')
    const audit = log(ME, redactor)
    await audit.record({
      type: 'tool.call',
      actor,
      subject: 's',
      identity: { mcp: { client: 'leaky s3cr3t-bearer-value', session: 's' }, token: 'ops-lead' },
    })
    await audit.close()
    const [record] = await queryAudit(dir, {})
    expect(record!.identity!.mcp!.client).toBe('leaky [REDACTED]')
    expect(record!.identity!.token).toBe('ops-lead')
  })

  it("keeps the process's os_user, uid and tty whatever the caller claims", () => {
    const claimed = mergeIdentity(ME, { os_user: 'root', uid: 0, tty: '/dev/pts/0', token: 'ops' })
    expect(claimed).toEqual({ ...ME, token: 'ops' })
  })

  it('escapes control, format and line-separator characters and caps the length of what callers give', () => {
    const merged = mergeIdentity(ME, {
      mcp: { client: 'evil\n     9 2026 approval.approved human:lead\u202e\u001b[2J\\', session: 's' },
    })
    expect(merged.mcp!.client).toBe(
      'evil\\u000a     9 2026 approval.approved human:lead\\u202e\\u001b[2J\\\\',
    )
    expect(safeText('x'.repeat(500)).length).toBe(128)
    expect(mergeIdentity(ME, { mcp: { client: '', session: 's' } }).mcp!.client).toBe('unnamed')
  })
})

describe('the audit line', () => {
  it('shows every value someone chose escaped and quoted, so one record is always one line', () => {
    const line = auditLine({
      seq: 7,
      at: '2026-01-01T00:00:00.000Z',
      type: 'tool.call',
      // DRIFTCORE_ACTOR accepts a carriage return and escapes; an old record may hold anything.
      actor: { type: 'human', id: 'lead\r     8 2026 approval.approved human:boss' },
      identity: { ...ME, mcp: { client: 'x] [root(0)', session: 's' } },
      subject: 'a\nb',
      trace_id: 't',
      data: { outcome: 'ok\u001b[2J' },
      prev: GENESIS,
      hash: GENESIS,
    })
    for (const raw of ['\n', '\r', '\u001b']) expect(line).not.toContain(raw)
    expect(line).toBe(
      '     7 2026-01-01T00:00:00.000Z tool.call "human:lead\\u000d     8 2026 approval.approved human:boss" ' +
        '"a\\u000ab" "ok\\u001b[2J" [alice(1000) tty=/dev/pts/3 mcp="x] [root(0)"/s]',
    )
  })
})

describe('audit query over actors and identities', () => {
  const record = (actorId: string, identity?: Identity): AuditRecord => {
    const [type, ...id] = actorId.split(':')
    return {
      seq: 1,
      at: '2026-01-01T00:00:00.000Z',
      type: 'tool.call',
      actor: { type: type!, id: id.join(':') },
      ...(identity ? { identity } : {}),
      subject: 's',
      trace_id: 't',
      data: {},
      prev: GENESIS,
      hash: GENESIS,
    }
  }
  const matches = (query: Parameters<typeof auditFilter>[0], r: AuditRecord) => auditFilter(query)(r)

  it('matches --actor globs over type:id, with * crossing /', () => {
    const agent = record('agent:claude-code/3f9a')
    expect(matches({ actor: 'agent:claude-code/*' }, agent)).toBe(true)
    expect(matches({ actor: 'agent:*' }, agent)).toBe(true)
    expect(matches({ actor: 'human:*' }, agent)).toBe(false)
    expect(matches({ actor: '*:alice' }, record('human:alice'))).toBe(true)
    expect(matches({ actor: '*:alice' }, record('human:alicia'))).toBe(false)
    expect(matches({ actor: 'claude-code/*' }, agent)).toBe(true)
  })

  it('keeps --actor without a glob exact: type:id, or the id alone', () => {
    expect(matches({ actor: 'human:alice' }, record('human:alice'))).toBe(true)
    expect(matches({ actor: 'alice' }, record('human:alice'))).toBe(true)
    expect(matches({ actor: 'human:ali' }, record('human:alice'))).toBe(false)
    expect(matches({ actor: 'agent:alice' }, record('human:alice'))).toBe(false)
  })

  it('filters by os user, uid, MCP client and session, token and key', () => {
    const r = record('agent:claude-code/3f9a', {
      ...ME,
      mcp: { client: 'claude-code', session: '3f9a' },
      token: 'ci-bot',
      key: { principal: 'lead@example.com', fingerprint: 'SHA256:abc' },
    })
    expect(matches({ os_user: 'alice', uid: 1000 }, r)).toBe(true)
    expect(matches({ os_user: '!alice' }, r)).toBe(false)
    expect(matches({ uid: 0 }, r)).toBe(false)
    expect(matches({ mcp_client: 'claude-*', session: '3f9a' }, r)).toBe(true)
    expect(matches({ token: 'ci-*' }, r)).toBe(true)
    expect(matches({ key: '*@example.com' }, r)).toBe(true)
    expect(matches({ key: 'SHA256:abc' }, r)).toBe(true)
    expect(matches({ key: 'SHA256:xyz' }, r)).toBe(false)
    expect(matches({ token: '*' }, record('human:alice', ME))).toBe(false)
  })
})
