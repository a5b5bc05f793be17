import { readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApprovalStore } from '../../src/approvals/store.js'
import { AuditLog } from '../../src/audit/log.js'
import { Redactor } from '../../src/audit/redact.js'
import { verifyAudit } from '../../src/audit/verify.js'
import { IdempotencyStore } from '../../src/idempotency/store.js'
import { JsonDocument } from '../../src/store/documents.js'
import { readJournal } from '../../src/workflow/journal/reader.js'
import { JournalWriter } from '../../src/workflow/journal/writer.js'
import {
  FIXTURES,
  json,
  runCli,
  tempProject,
  testKernel,
  fixturePluginContribution,
  type TempProject,
} from '../helpers/project.js'
import { linkHello } from '../helpers/workflow-cli.js'
import { mountSmallDisk, smallDiskUnavailable, type SmallDisk } from './helpers/small-disk.js'

const actor = { type: 'human', id: 'alice' }
const big = 'y'.repeat(6000)

// A project whose whole folder lives on a 2 MiB tmpfs.
async function projectOn(disk: SmallDisk): Promise<TempProject> {
  const before = process.env.TMPDIR
  process.env.TMPDIR = disk.dir
  try {
    return await tempProject()
  } finally {
    if (before === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = before
  }
}

async function headOf(dir: string): Promise<{ seq: number; size: number; segment: string }> {
  return JSON.parse(await readFile(path.join(dir, 'HEAD.json'), 'utf8')) as {
    seq: number
    size: number
    segment: string
  }
}

describe.skipIf(smallDiskUnavailable !== undefined)(
  `a full disk${smallDiskUnavailable ? ` (skipped: ${smallDiskUnavailable})` : ''}`,
  () => {
    let disk: SmallDisk
    beforeAll(() => {
      disk = mountSmallDisk(2048)
    })
    afterAll(() => disk.unmount())

    it('never leaves half an audit record: the append fails with an io error naming the segment and the free space, HEAD stays on disk, and after space is freed the log takes records and verifies', async () => {
      const dir = path.join(disk.dir, 'audit-direct')
      const audit = new AuditLog(dir, {
        fsync: 'always',
        batchIntervalMs: 5,
        segmentMaxBytes: 64 * 1024 * 1024,
        redactor: new Redactor(),
      })
      await audit.record({ type: 'test.event', actor, subject: 'first', data: { i: 1 } })
      const before = await headOf(dir)
      await disk.fill()
      try {
        const error = await audit.record({ type: 'test.event', actor, subject: 'big', data: { big } }).then(
          () => undefined,
          (e: unknown) => e,
        )
        expect(error).toMatchObject({
          code: 'io',
          message: expect.stringMatching(/000001\.jsonl failed: ENOSPC \(0 bytes free on its filesystem\)/),
        })
        // Nothing past the last acknowledged record, and HEAD did not move.
        expect(await headOf(dir)).toEqual(before)
        expect((await stat(path.join(dir, before.segment))).size).toBe(before.size)
      } finally {
        await disk.free()
      }
      await audit.record({ type: 'test.event', actor, subject: 'after', data: { i: 2 } })
      await audit.close()
      expect(await headOf(dir)).toMatchObject({ seq: 2 })
      expect(await verifyAudit(dir)).toMatchObject({ ok: true, records: 2 })
    })

    it('with fsync batch, the failure surfaces at the flush, and nothing half-written is kept', async () => {
      const dir = path.join(disk.dir, 'audit-batch')
      const audit = new AuditLog(dir, {
        fsync: 'batch',
        batchIntervalMs: 5,
        segmentMaxBytes: 64 * 1024 * 1024,
        redactor: new Redactor(),
      })
      await audit.record({ type: 'test.event', actor, subject: 'first', data: {} })
      await audit.flush()
      const before = await headOf(dir)
      await disk.fill()
      try {
        await audit.record({ type: 'test.event', actor, subject: 'big', data: { big } })
        await expect(audit.flush()).rejects.toMatchObject({
          code: 'io',
          message: expect.stringContaining('ENOSPC'),
        })
        expect((await stat(path.join(dir, before.segment))).size).toBe(before.size)
      } finally {
        await disk.free()
      }
      await audit.record({ type: 'test.event', actor, subject: 'after', data: {} })
      await audit.close()
      expect(await verifyAudit(dir)).toMatchObject({ ok: true, records: 2 })
    })

    it('a run journal append that does not fit is cut back: the journal stays readable and takes the next event', async () => {
      const file = path.join(disk.dir, 'journal', 'journal.jsonl')
      const writer = await JournalWriter.open(
        file,
        { validBytes: 0, lastSeq: 0 },
        { fsync: 'always', batchIntervalMs: 5, redactor: new Redactor(), now: () => Date.now() },
      )
      await writer.append({ type: 'run.suspended', waiting_on: ['a'] } as never)
      const size = (await stat(file)).size
      await disk.fill()
      try {
        await expect(
          writer.append({ type: 'run.suspended', waiting_on: [big] } as never),
        ).rejects.toMatchObject({ code: 'io', message: expect.stringContaining(`${file} failed: ENOSPC`) })
        expect((await stat(file)).size).toBe(size)
      } finally {
        await disk.free()
      }
      await writer.close()
      const read = await readJournal(file)
      expect(read.events.map((e) => e.seq)).toEqual([1])
      expect(read.torn).toBe(false)
    })

    it('the state documents and the idempotency store refuse with an io error naming their file, keep what they had, and work once space is freed', async () => {
      const state = path.join(disk.dir, 'state')
      const doc = new JsonDocument(path.join(state, 'runs.json'), () => ({ n: 0 }))
      await doc.update((d) => void (d.n = 1))
      const store = new IdempotencyStore(state, 60_000, { fsync: 'always' })
      await store.store('k1', 't', 'h', { ok: 1 })
      await disk.fill()
      try {
        await expect(doc.update((d) => void (d.n = 2))).rejects.toMatchObject({
          code: 'io',
          message: expect.stringContaining(`${path.join(state, 'runs.json')} failed: ENOSPC`),
        })
        await expect(store.store('k2', 't', 'h', { big })).rejects.toMatchObject({
          code: 'io',
          message: expect.stringContaining('idempotency.jsonl failed: ENOSPC'),
        })
      } finally {
        await disk.free()
      }
      expect(await doc.read()).toEqual({ n: 1 })
      await doc.update((d) => void (d.n = 3))
      expect(await doc.read()).toEqual({ n: 3 })
      await store.store('k3', 't', 'h', { ok: 3 })
      const lines = (await readFile(path.join(state, 'idempotency.jsonl'), 'utf8'))
        .split('\n')
        .filter(Boolean)
      expect(lines.map((l) => (JSON.parse(l) as { key: string }).key)).toEqual(['k1', 'k3'])
      // The failed batch was never on disk, so what another process appends where it would
      // have been is still read.
      const other = new IdempotencyStore(state, 60_000, { fsync: 'always' })
      await other.store('k4', 't', 'h', { ok: 4 })
      expect((await store.lookup('k4', 't', 'h'))?.result).toEqual({ ok: 4 })
    })

    it('approval changes committed together all fail when their one write does not fit, none is on disk, and the next ones land', async () => {
      const state = path.join(disk.dir, 'approvals')
      const store = new ApprovalStore(state)
      const asked = (id: string, reason = 'ok') => ({
        id,
        tool: 'hello.shout',
        input_hash: `hash-${id}`,
        input_summary: '{}',
        requester: { type: 'agent' as const, id: 'copilot' },
        rule_ids: [],
        deciding_rule: null,
        reason,
        trace_id: 't',
        status: 'pending' as const,
        created_at: new Date().toISOString(),
        expires_at: new Date(Date.now() + 3_600_000).toISOString(),
      })
      await store.update((tx) => tx.put(asked('apr_0')))
      const journal = path.join(state, 'approvals.jsonl')
      const before = await readFile(journal, 'utf8')
      await disk.fill()
      try {
        const outcomes = await Promise.allSettled(
          [1, 2, 3].map((n) => store.update((tx) => tx.put(asked(`apr_${n}`, big)))),
        )
        for (const outcome of outcomes)
          expect(outcome).toMatchObject({
            status: 'rejected',
            reason: { code: 'io', message: expect.stringContaining(`${journal} failed: ENOSPC`) },
          })
        expect(await readFile(journal, 'utf8')).toBe(before)
      } finally {
        await disk.free()
      }
      await Promise.all([4, 5].map((n) => store.update((tx) => tx.put(asked(`apr_${n}`)))))
      expect([...(await new ApprovalStore(state).all()).keys()].sort()).toEqual(['apr_0', 'apr_4', 'apr_5'])
    })

    it('the gate does not run a tool whose record the log cannot take', async () => {
      const project = await projectOn(disk)
      const kernel = await testKernel(project, [await fixturePluginContribution()])
      const { calls } = (await import(path.join(FIXTURES, 'plugins/hello/hooks/capabilities.js'))) as {
        calls: { greet: number }
      }
      try {
        await kernel.gate.invoke('hello.greet', { name: 'first' }, actor)
        await kernel.audit.flush()
        const before = calls.greet
        await disk.fill()
        try {
          await expect(kernel.gate.invoke('hello.greet', { name: big }, actor)).rejects.toMatchObject({
            code: 'io',
            message: expect.stringContaining('cannot take a record'),
          })
          expect(calls.greet).toBe(before)
        } finally {
          await disk.free()
        }
        await kernel.gate.invoke('hello.greet', { name: 'after' }, actor)
      } finally {
        await kernel.close()
      }
      expect(await verifyAudit(kernel.paths.audit)).toMatchObject({ ok: true })
      await project.cleanup()
    })

    it('through the CLI: a call on a full disk exits with io (10) naming the log and the free space, and after space is freed calls work and audit verify passes', async () => {
      const project = await projectOn(disk)
      try {
        await linkHello(project)
        expect(
          (await runCli(project, ['tools', 'call', 'hello.greet', '--input', '{"name":"a"}'])).exitCode,
        ).toBe(0)
        await writeFile(
          path.join(project.dir, 'greet.yaml'),
          'apiVersion: driftcore/v1\nkind: Workflow\nname: greet\nsteps:\n  - id: hi\n    type: worker\n    tool: hello.greet\n    with: { name: hi }\n',
        )
        await disk.fill()
        let full
        let run
        try {
          full = await runCli(project, [
            'tools',
            'call',
            'hello.greet',
            '--input',
            JSON.stringify({ name: big }),
          ])
          run = await runCli(project, ['workflow', 'run', 'greet.yaml', '--json'])
        } finally {
          await disk.free()
        }
        expect(run.exitCode).toBe(10)
        // Whatever the failed run left, no run is reported corrupt once there is space again.
        const list = await runCli(project, ['workflow', 'list', '--json'])
        expect(list.exitCode).toBe(0)
        for (const r of json<{ run_id: string }[]>(list))
          expect((await runCli(project, ['workflow', 'status', r.run_id, '--json'])).exitCode).not.toBe(8)
        expect((await runCli(project, ['workflow', 'run', 'greet.yaml', '--json'])).exitCode).toBe(0)
        expect(full.exitCode).toBe(10)
        expect(full.stderr).toMatch(/audit/)
        expect(full.stderr).toMatch(/bytes free/)
        expect(full.stdout).not.toContain('hello')
        expect(
          (await runCli(project, ['tools', 'call', 'hello.greet', '--input', '{"name":"b"}'])).exitCode,
        ).toBe(0)
        const verify = await runCli(project, ['audit', 'verify', '--json'])
        expect(verify.exitCode).toBe(0)
        expect(json(verify)).toMatchObject({ ok: true })
      } finally {
        await project.cleanup()
      }
    })
  },
)
