import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Approvals, type ApprovalUse } from '../../src/approvals/approvals.js'
import { AuditLog } from '../../src/audit/log.js'
import { checkLine, sealRecord } from '../../src/audit/record.js'
import { listSegments } from '../../src/audit/segments.js'
import { Redactor } from '../../src/audit/redact.js'
import { queryAudit } from '../../src/audit/query.js'
import { editApprovals } from '../helpers/approvals-state.js'

// An approval a crashed workflow attempt used stays valid for that attempt's retry (same
// trace, same run and step), and for nothing else.
let dir: string
let audit: AuditLog
let approvals: Approvals
const agent = { type: 'agent', id: 'copilot' }
const alice = { type: 'human', id: 'alice' }
const workflow = { run_id: 'run_1', step: 'deploy' }
const use: ApprovalUse = { tool: 'site.deploy', inputHash: 'h', actor: agent, workflow, traceId: 'trace-1' }

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-reuse-'))
  audit = new AuditLog(path.join(dir, 'audit'), {
    fsync: 'off',
    batchIntervalMs: 1,
    segmentMaxBytes: 64 * 1024 * 1024,
    redactor: new Redactor(),
  })
  approvals = new Approvals(path.join(dir, 'state'), {
    ttlMs: 3_600_000,
    audit,
    configHash: 'c0ffee',
    environment: 'dev',
  })
})
afterEach(async () => {
  await audit.close()
  await rm(dir, { recursive: true, force: true })
})

async function usedOnce(): Promise<string> {
  const request = await approvals.requestDecision({
    subject: 'site.deploy',
    inputHash: 'h',
    inputSummary: 'deploy',
    requester: agent,
    reason: 'deploy?',
    traceId: 'trace-1',
    workflow,
  })
  await approvals.decide(request.id, alice, 'approved')
  await approvals.consume(request.id, use)
  return request.id
}

describe('reusing a used approval', () => {
  it('the retry of the interrupted workflow attempt that used it may use it again', async () => {
    const id = await usedOnce()
    expect((await approvals.consume(id, use)).status).toBe('used')
  })

  it('another trace of the same run and step may not (a new attempt asks again)', async () => {
    const id = await usedOnce()
    await expect(approvals.consume(id, { ...use, traceId: 'trace-2' })).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringContaining('is used'),
    })
  })

  it('a call outside the workflow that names the same trace may not', async () => {
    const id = await usedOnce()
    const { workflow: _w, ...outside } = use
    await expect(approvals.consume(id, outside)).rejects.toMatchObject({ code: 'forbidden' })
  })

  it('is recorded as used in the audit log before the state says so', async () => {
    const id = await usedOnce()
    const uses = await queryAudit(path.join(dir, 'audit'), { type: 'approval.used' })
    expect(uses).toEqual([
      expect.objectContaining({
        subject: id,
        data: expect.objectContaining({ trace: 'trace-1', run_id: 'run_1' }),
      }),
    ])
  })

  it('put back to approved in the state file, it is refused as forged for a new attempt, and kept for the retry', async () => {
    const id = await usedOnce()
    await editApprovals(dir, (requests) => {
      requests[id]!.status = 'approved'
      delete requests[id]!.used_at
      delete requests[id]!.used_trace
    })
    // The interrupted attempt's own retry is the call that used it: still allowed.
    expect((await approvals.claim(id, use)).approval.id).toBe(id)
    await expect(approvals.consume(id, { ...use, traceId: 'trace-2' })).rejects.toMatchObject({
      code: 'integrity',
      message: expect.stringContaining('approval.used'),
    })
  })

  // The agent wants the grant for a new attempt: it puts the state back, and writes a use record
  // naming the new attempt's trace (digest and hash of its own right), so the newest use looks
  // like that attempt's own. Pasted into the middle of the chain, or past the end HEAD.json
  // records, it does not link in place: refused as a broken log, never taken as the use.
  for (const where of ['middle', 'past-head'] as const)
    it(`a forged approval.used record naming another trace, pasted ${where === 'middle' ? 'into the middle of the log' : 'past HEAD'}, is an integrity error`, async () => {
      const id = await usedOnce()
      await editApprovals(dir, (requests) => {
        requests[id]!.status = 'approved'
        delete requests[id]!.used_at
        delete requests[id]!.used_trace
      })
      const auditDir = path.join(dir, 'audit')
      const segment = path.join(auditDir, (await listSegments(auditDir)).at(-1)!)
      const lines = (await readFile(segment, 'utf8')).trimEnd().split('\n')
      const real = lines.map((line) => JSON.parse(line) as { type: string; data: Record<string, unknown> })
      const used = real.find((r) => r.type === 'approval.used')!
      // In the middle: right after the grant, so the grant still links and the real use does not.
      const after =
        where === 'middle' ? real.findIndex((r) => r.type === 'approval.approved') : lines.length - 1
      const previous = checkLine(lines[after]!)!
      const { line } = sealRecord(
        { type: 'approval.used', actor: agent, subject: id, data: { ...used.data, trace: 'trace-2' } },
        previous.seq + 1,
        previous.hash,
        new Date().toISOString(),
        'trace-2',
      )
      lines.splice(after + 1, 0, line.trimEnd())
      await writeFile(segment, lines.join('\n') + '\n')
      await expect(approvals.consume(id, { ...use, traceId: 'trace-2' })).rejects.toMatchObject({
        code: 'integrity',
        message: expect.stringContaining('approval.used'),
      })
      // Nor does the forged record stand in for the real use of the attempt that made it.
      await expect(approvals.claim(id, use)).rejects.toMatchObject({ code: 'integrity' })
    })
})
