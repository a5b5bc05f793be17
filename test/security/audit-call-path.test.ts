// The per-call audit path keeps a few things between calls (issue 16 item 6): the redacted actor
// and identity of a frozen caller (an MCP session's), the last HEAD it parsed, and batches nobody
// waits for take the lock in the background. Each test is what a hostile agent or a second
// writer would try against one of those.
import { mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AuditLog } from '../../src/audit/log.js'
import { queryAudit } from '../../src/audit/query.js'
import { checkLine, recordText, sealRecord, sealText } from '../../src/audit/record.js'
import { Redactor } from '../../src/audit/redact.js'
import { listSegments } from '../../src/audit/segments.js'
import { verifyAudit } from '../../src/audit/verify.js'

let dir: string
const opened: AuditLog[] = []

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-call-path-'))
})
afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((audit) => audit.close()))
  await rm(dir, { recursive: true, force: true })
})

function log(redactor = new Redactor(), options: Partial<ConstructorParameters<typeof AuditLog>[1]> = {}) {
  const audit = new AuditLog(dir, {
    fsync: 'batch',
    batchIntervalMs: 5,
    segmentMaxBytes: 1 << 26,
    redactor,
    ...options,
  })
  opened.push(audit)
  return audit
}

const SECRET = 'hunter2-correct-horse-battery'

describe('the audit log keeps the redacted copy of a frozen caller', () => {
  it('still masks a secret the redactor learns after the first record of that caller', async () => {
    const redactor = new Redactor()
    const audit = log(redactor)
    // An agent that names itself after a secret the server only learns later.
    const actor = Object.freeze({ type: 'agent', id: `${SECRET}/s1` })
    const identity = Object.freeze({ mcp: Object.freeze({ client: SECRET, session: 's1' }) })
    await audit.record({ type: 'tool.call', actor, identity, subject: 'x', data: {} })
    await audit.flush()
    redactor.register(SECRET)
    await audit.record({ type: 'tool.call', actor, identity, subject: 'x', data: {} })
    await audit.close()
    const [, second] = await queryAudit(dir, {})
    expect(JSON.stringify(second)).not.toContain(SECRET)
    expect(second!.actor.id).toBe('[REDACTED]/s1')
    expect(second!.identity?.mcp?.client).toBe('[REDACTED]')
  })

  it('redacts a caller object that is not frozen afresh for every record, so changing it is seen', async () => {
    const redactor = new Redactor()
    redactor.register(SECRET)
    const audit = log(redactor)
    const actor = { type: 'agent', id: 'plain/s1' }
    const identity = { mcp: { client: 'plain', session: 's1' } }
    await audit.record({ type: 'tool.call', actor, identity, subject: 'x', data: () => ({}) })
    await audit.flush()
    // A caller that reuses and edits its objects between records.
    actor.id = `${SECRET}/s1`
    identity.mcp.client = SECRET
    await audit.record({ type: 'tool.call', actor, identity, subject: 'x', data: () => ({}) })
    await audit.close()
    const [first, second] = await queryAudit(dir, {})
    expect(first!.actor.id).toBe('plain/s1')
    expect(second!.actor.id).toBe('[REDACTED]/s1')
    expect(second!.identity?.mcp?.client).toBe('[REDACTED]')
  })
})

describe('the readiness check with HEAD remembered between calls', () => {
  async function segment(): Promise<string> {
    const [name] = await listSegments(dir)
    return path.join(dir, name!)
  }

  it('refuses the next call after records were cut from the segment, naming the file', async () => {
    const audit = log()
    for (let i = 0; i < 5; i++)
      await audit.record({ type: 't', actor: { type: 'a', id: 'b' }, subject: `s${i}` })
    await audit.flush()
    await audit.ready() // HEAD read and remembered
    const file = await segment()
    const bytes = (await readFile(file)).length
    await truncate(file, bytes - 10)
    await expect(audit.ready()).rejects.toMatchObject({
      code: 'integrity',
      message: expect.stringContaining(file),
    })
  })

  it('sees HEAD moved by another writer: a cut of that writer’s records is refused too', async () => {
    const mine = log()
    await mine.record({ type: 't', actor: { type: 'a', id: 'me' }, subject: 'first' })
    await mine.flush()
    await mine.ready()
    // A second process appends (its own AuditLog on the same folder), then someone cuts into
    // what it wrote: our last HEAD would still allow it, the one on disk does not.
    const other = log()
    for (let i = 0; i < 5; i++)
      await other.record({ type: 't', actor: { type: 'a', id: 'other' }, subject: `o${i}` })
    await other.flush()
    const file = await segment()
    const head = JSON.parse(await readFile(path.join(dir, 'HEAD.json'), 'utf8')) as { size: number }
    await truncate(file, head.size - 10)
    await expect(mine.ready()).rejects.toMatchObject({ code: 'integrity' })
  })

  it('refuses a HEAD edited into something that does not parse', async () => {
    const audit = log()
    await audit.record({ type: 't', actor: { type: 'a', id: 'b' }, subject: 's' })
    await audit.flush()
    await audit.ready()
    await writeFile(path.join(dir, 'HEAD.json'), '{"segment": "000001.jsonl", "seq": 1, "ha')
    await expect(audit.ready()).rejects.toMatchObject({ code: 'integrity' })
  })
})

describe('records built after their caller has moved on', () => {
  it('are built once the caller’s continuation has run, and each is in the chain with its own data', async () => {
    const audit = log()
    const order: string[] = []
    const caller = async (i: number) => {
      await Promise.resolve() // the gate records from a promise continuation
      const written = audit.record({
        type: 'tool.call',
        actor: { type: 'a', id: 'b' },
        subject: `s${i}`,
        redacted: true,
        data: () => (order.push(`built ${i}`), { i }),
      })
      await written
      order.push(`answered ${i}`) // the caller's answer (a server's write to stdout)
    }
    await Promise.all([caller(1), caller(2)])
    // Both answers went out in the same turn, before either record was built...
    expect(order).toEqual(['answered 1', 'answered 2'])
    // ...and both are built right after it, long before their batch (5 ms later).
    await new Promise((resolve) => setImmediate(resolve))
    expect(order).toEqual(['answered 1', 'answered 2', 'built 1', 'built 2'])
    await audit.close()
    const records = await queryAudit(dir, {})
    expect(records.map((r) => [r.subject, r.data.i])).toEqual([
      ['s1', 1],
      ['s2', 2],
    ])
    expect((await verifyAudit(dir)).ok).toBe(true)
  })

  it('are still written by their batch when building them early failed, saying why', async () => {
    const audit = log()
    let calls = 0
    await audit.record({
      type: 'tool.call',
      actor: { type: 'a', id: 'b' },
      subject: 'flaky',
      data: () => {
        calls += 1
        throw new Error(`data unavailable (${calls})`)
      },
    })
    await audit.close()
    const [record] = await queryAudit(dir, {})
    expect(record!.data.audit_error).toMatch(/building this record's data failed: data unavailable/)
    expect((await verifyAudit(dir)).ok).toBe(true)
  })
})

describe('batches written in the background', () => {
  it('keep one gap-free chain with a second writer, whichever takes the lock', async () => {
    const a = log()
    const b = log()
    const writes: Promise<void>[] = []
    for (let i = 0; i < 40; i++) {
      writes.push(a.record({ type: 't', actor: { type: 'a', id: 'a' }, subject: `a${i}` }))
      writes.push(b.record({ type: 't', actor: { type: 'a', id: 'b' }, subject: `b${i}` }))
      if (i % 8 === 0) await new Promise((resolve) => setTimeout(resolve, 6))
    }
    await Promise.all(writes)
    await Promise.all([a.close(), b.close()])
    expect(await verifyAudit(dir)).toMatchObject({ ok: true, records: 80 })
  })

  it('wait for a lock another process holds, and write once it is released', async () => {
    const audit = log()
    await audit.record({ type: 't', actor: { type: 'a', id: 'b' }, subject: 'before' })
    await audit.flush()
    // Another process holds the lock (a fresh lock folder: not stale, owner unknown).
    const lock = path.join(dir, 'HEAD.json.lock')
    await mkdir(lock)
    await audit.record({ type: 't', actor: { type: 'a', id: 'b' }, subject: 'while-locked' })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect((await queryAudit(dir, {})).map((r) => r.subject)).toEqual(['before'])
    await rm(lock, { recursive: true })
    await audit.flush()
    expect((await queryAudit(dir, {})).map((r) => r.subject)).toEqual(['before', 'while-locked'])
    expect((await verifyAudit(dir)).ok).toBe(true)
  })
})

describe('records serialised before the lock', () => {
  it('seal to exactly the line of the whole record serialised at once, which verify checks', () => {
    const entry = {
      type: 'tool.call',
      actor: { type: 'agent', id: 'x/1' },
      identity: { os_user: 'me', uid: 1 },
      subject: 'fixture.noop',
      data: { quote: 'a "b" \u2028 c', n: 1 },
    }
    const at = new Date(0).toISOString()
    const prev = 'a'.repeat(64)
    const { type, actor, identity, subject, data } = entry
    const whole = JSON.stringify({
      seq: 7,
      at,
      type,
      actor,
      identity,
      subject,
      trace_id: 't',
      data,
      prev,
    }).slice(0, -1)
    const sealed = sealText(recordText(entry, at, 't'), 7, prev)
    expect(sealed.line.startsWith(`${whole},"hash":"`)).toBe(true)
    expect(sealed).toEqual(sealRecord(entry, 7, prev, at, 't'))
    expect(checkLine(sealed.line.trimEnd())).toMatchObject({ seq: 7, prev, intact: true })
  })

  it('keep a record whose data JSON cannot hold, saying so, and every other record of its batch', async () => {
    const audit = log()
    const writes = [
      audit.record({ type: 't', actor: { type: 'a', id: 'b' }, subject: 'before', data: () => ({ ok: 1 }) }),
      audit.record({ type: 't', actor: { type: 'a', id: 'b' }, subject: 'bigint', data: () => ({ n: 1n }) }),
      audit.record({ type: 't', actor: { type: 'a', id: 'b' }, subject: 'after', data: () => ({ ok: 2 }) }),
    ]
    await Promise.all(writes)
    await audit.close()
    const records = await queryAudit(dir, {})
    expect(records.map((r) => r.subject)).toEqual(['before', 'bigint', 'after'])
    expect(records[1]!.data.audit_error).toMatch(/serialising this record's data failed/)
    expect((await verifyAudit(dir)).ok).toBe(true)
  })
})
