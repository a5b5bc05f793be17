import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AuditLog } from '../../../src/audit/log.js'
import { queryAudit, tailAudit } from '../../../src/audit/query.js'
import { Redactor } from '../../../src/audit/redact.js'
import { listSegments } from '../../../src/audit/segments.js'
import { verifyAudit } from '../../../src/audit/verify.js'

let dir: string
const actor = { type: 'human', id: 'alice' }

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-audit-'))
})
const opened: AuditLog[] = []
afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((audit) => audit.close()))
  await rm(dir, { recursive: true, force: true })
})

function log(options: Partial<ConstructorParameters<typeof AuditLog>[1]> = {}): AuditLog {
  const audit = new AuditLog(dir, {
    fsync: 'batch',
    batchIntervalMs: 5,
    segmentMaxBytes: 64 * 1024 * 1024,
    redactor: new Redactor(),
    ...options,
  })
  opened.push(audit)
  return audit
}

async function write(n: number, options?: Parameters<typeof log>[0]): Promise<void> {
  const audit = log(options)
  for (let i = 0; i < n; i++) await audit.record({ type: 'test.event', actor, subject: `s${i}`, data: { i } })
  await audit.close()
}

async function segmentLines(): Promise<{ file: string; lines: string[] }> {
  const [segment] = await listSegments(dir)
  const file = path.join(dir, segment!)
  return { file, lines: (await readFile(file, 'utf8')).split('\n').filter(Boolean) }
}

describe('the audit log', () => {
  it('chains every record to the one before, with gap-free sequence numbers', async () => {
    await write(50)
    const records = await queryAudit(dir, {})
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
    for (let i = 1; i < records.length; i++) expect(records[i]!.prev).toBe(records[i - 1]!.hash)
    expect(await verifyAudit(dir)).toMatchObject({ ok: true, records: 50, last_hash: records.at(-1)!.hash })
  })

  it('continues the chain across processes that reopen the log', async () => {
    await write(3)
    await write(3)
    expect((await verifyAudit(dir)).records).toBe(6)
  })

  it('keeps the chain across segment rotation', async () => {
    await write(200, { segmentMaxBytes: 4096, fsync: 'always' })
    expect((await listSegments(dir)).length).toBeGreaterThan(3)
    expect(await verifyAudit(dir)).toMatchObject({ ok: true, records: 200 })
  })

  it('redacts secrets before writing', async () => {
    const redactor = new Redactor()
    redactor.register('hunter2-but-longer')
    const audit = log({ redactor })
    await audit.record({
      type: 't',
      actor,
      subject: 'x',
      data: { note: 'pw hunter2-but-longer', password: 'plain', dsn: 'mysql://u:p4ss@db/x' },
    })
    await audit.flush()
    const text = await readFile(path.join(dir, (await listSegments(dir))[0]!), 'utf8')
    expect(text).not.toContain('hunter2-but-longer')
    expect(text).not.toContain('p4ss')
    expect(text).not.toContain('"plain"')
  })

  it('builds a record given as a function when it writes it, and keeps it even if building fails', async () => {
    const audit = log()
    let built = 0
    await audit.record({ type: 't', actor, subject: 'lazy', data: () => ({ built: ++built }) })
    await audit.record({
      type: 't',
      actor,
      subject: 'broken',
      data: () => {
        throw new Error('no such field')
      },
    })
    await audit.record({ type: 't', actor, subject: 'after' })
    expect(built).toBe(0)
    await audit.close()
    const records = await queryAudit(dir, {})
    expect(records.map((r) => r.subject)).toEqual(['lazy', 'broken', 'after'])
    expect(records[0]!.data).toEqual({ built: 1 })
    expect(records[1]!.data.audit_error).toContain('no such field')
    expect((await verifyAudit(dir)).ok).toBe(true)
  })

  it('keeps what a plain record said when the caller changes its objects afterwards', async () => {
    const audit = log()
    const data = { step: 'first' }
    await audit.record({ type: 't', actor, subject: 'x', data })
    data.step = 'changed'
    await audit.close()
    expect((await queryAudit(dir, {}))[0]!.data).toEqual({ step: 'first' })
  })

  it('with fsync=always, a record is on disk when record() resolves', async () => {
    const audit = log({ fsync: 'always' })
    await audit.record({ type: 't', actor, subject: 'x' })
    expect((await tailAudit(dir, 1))[0]!.subject).toBe('x')
  })

  it('adopts records a crashed writer appended before moving HEAD, and cuts its torn last line', async () => {
    await write(3)
    const { file, lines } = await segmentLines()
    // Simulate a writer that appended two records (and half a third) but died before HEAD.json.
    const other = await mkdtemp(path.join(os.tmpdir(), 'driftcore-audit-other-'))
    await writeFile(path.join(other, '000001.jsonl'), lines.join('\n') + '\n')
    await writeFile(path.join(other, 'HEAD.json'), await readFile(path.join(dir, 'HEAD.json')))
    const ahead = new AuditLog(other, {
      fsync: 'off',
      batchIntervalMs: 1,
      segmentMaxBytes: 1 << 26,
      redactor: new Redactor(),
    })
    await ahead.record({ type: 't', actor, subject: 'a' })
    await ahead.record({ type: 't', actor, subject: 'b' })
    await ahead.close()
    const extra = (await readFile(path.join(other, '000001.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .slice(3)
    await writeFile(file, [...lines, ...extra].join('\n') + '\n' + extra[0]!.slice(0, 40))
    await rm(other, { recursive: true })
    await write(1)
    const result = await verifyAudit(dir)
    expect(result).toMatchObject({ ok: true, records: 6 })
  })
})

describe('audit verify', () => {
  it('reports the first edited record', async () => {
    await write(10)
    const { file, lines } = await segmentLines()
    lines[4] = lines[4]!.replace('"i":4', '"i":40')
    await writeFile(file, lines.join('\n') + '\n')
    expect(await verifyAudit(dir)).toMatchObject({
      ok: false,
      problem: { line: 5, seq: 5, message: expect.stringContaining('was edited') },
    })
  })

  it('reports a deleted record', async () => {
    await write(10)
    const { file, lines } = await segmentLines()
    lines.splice(3, 1)
    await writeFile(file, lines.join('\n') + '\n')
    expect(await verifyAudit(dir)).toMatchObject({
      ok: false,
      problem: { line: 4, message: expect.stringContaining('expected seq 4 but found 5') },
    })
  })

  it('reports reordered records', async () => {
    await write(10)
    const { file, lines } = await segmentLines()
    ;[lines[6], lines[7]] = [lines[7]!, lines[6]!]
    await writeFile(file, lines.join('\n') + '\n')
    expect(await verifyAudit(dir)).toMatchObject({
      ok: false,
      problem: { line: 7, message: expect.stringContaining('deleted or reordered') },
    })
  })

  it('reports whole records removed from the tail, which the chain alone cannot show', async () => {
    await write(10)
    const { file, lines } = await segmentLines()
    await writeFile(file, lines.slice(0, 8).join('\n') + '\n')
    const result = await verifyAudit(dir)
    expect(result).toMatchObject({
      ok: false,
      problem: { message: expect.stringContaining('removed from the tail') },
    })
  })

  it('reports a log truncated in the middle of a record', async () => {
    await write(10)
    const { file } = await segmentLines()
    const size = (await readFile(file)).length
    await truncate(file, size - 20)
    expect(await verifyAudit(dir)).toMatchObject({
      ok: false,
      problem: { line: 10, message: expect.stringContaining('incomplete') },
    })
  })

  it('refuses to append on top of a log whose tail was removed', async () => {
    await write(5)
    const { file, lines } = await segmentLines()
    await writeFile(file, lines.slice(0, 3).join('\n') + '\n')
    const audit = log({ fsync: 'always' })
    await expect(audit.record({ type: 't', actor, subject: 'x' })).rejects.toMatchObject({
      code: 'integrity',
    })
  })
})
