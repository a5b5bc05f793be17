import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Approvals, type ApprovalUse } from '../../../src/approvals/approvals.js'
import { auditApprovalEvidence, findApprovalEvidence } from '../../../src/approvals/evidence.js'
import { AuditLog } from '../../../src/audit/log.js'
import { Redactor } from '../../../src/audit/redact.js'
import { listSegments } from '../../../src/audit/segments.js'

let dir: string
let audit: AuditLog
const agent = { type: 'agent', id: 'copilot' }
const alice = { type: 'human', id: 'alice' }
const workflow = { run_id: 'run_1', step: 'confirm' }

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-evidence-'))
})
afterEach(async () => {
  await audit.close()
  await rm(dir, { recursive: true, force: true })
})

function open(segmentMaxBytes = 64 * 1024 * 1024): Approvals {
  audit = new AuditLog(path.join(dir, 'audit'), {
    fsync: 'off',
    batchIntervalMs: 1,
    segmentMaxBytes,
    redactor: new Redactor(),
  })
  return new Approvals(path.join(dir, 'state'), {
    ttlMs: 3_600_000,
    audit,
    configHash: 'c0ffee',
    environment: 'dev',
  })
}

async function granted(approvals: Approvals): Promise<string> {
  const request = await approvals.requestDecision({
    subject: 'workflow:deploy/confirm',
    inputHash: 'h',
    inputSummary: 'deploy?',
    requester: agent,
    reason: 'deploy?',
    traceId: 't',
    workflow,
  })
  await approvals.decide(request.id, alice, 'approved')
  return request.id
}

// Records in one batch go to one segment; `oneByOne` writes each on its own, so segments rotate.
async function filler(count: number, bytes = 300, oneByOne = false): Promise<void> {
  for (let i = 0; i < count; i++) {
    void audit.record({
      type: 'test.filler',
      actor: agent,
      subject: `f${i}`,
      data: { pad: 'x'.repeat(bytes) },
    })
    if (oneByOne) await audit.flush()
  }
  await audit.flush()
}

const use: ApprovalUse = { tool: 'workflow:deploy/confirm', inputHash: 'h', actor: agent, workflow }

describe('finding the audit record of a grant', () => {
  it('finds it behind more than a chunk of newer records (a line cut by a chunk boundary included)', async () => {
    const approvals = open()
    const id = await granted(approvals)
    await filler(5000) // ~2 MB: the record is two chunks back
    expect((await approvals.consume(id, use)).status).toBe('used')
  })

  it('finds it in an older segment, first, last or in between (its neighbours in other segments)', async () => {
    const places = new Set<string>()
    // Which place a record lands in depends on record sizes, so shift it until all three are seen.
    for (let before = 0; before < 60 && places.size < 3; before++) {
      const approvals = open(4096)
      await filler(before, 200, true)
      const id = await granted(approvals)
      await filler(12, 200, true)
      const auditDir = path.join(dir, 'audit')
      for (const segment of await listSegments(auditDir)) {
        const lines = (await readFile(path.join(auditDir, segment), 'utf8')).trimEnd().split('\n')
        const at = lines.findIndex((l) => l.includes('"approval.approved"'))
        if (at !== -1) places.add(at === 0 ? 'first' : at === lines.length - 1 ? 'last' : 'middle')
      }
      expect(await findApprovalEvidence(auditDir, await approvals.get(id))).toMatchObject({ found: true })
      expect((await approvals.consume(id, use)).status).toBe('used')
      await audit.close()
      await rm(dir, { recursive: true, force: true })
    }
    expect([...places].sort()).toEqual(['first', 'last', 'middle'])
  })

  it('audit verify’s pass counts approved and used grants, and finds none missing', async () => {
    const approvals = open(4096)
    const used = await granted(approvals)
    await approvals.consume(used, use)
    await filler(30, 200, true)
    const request = await approvals.requestDecision({
      subject: 'workflow:deploy/other',
      inputHash: 'h2',
      inputSummary: 'other?',
      requester: agent,
      reason: 'other?',
      traceId: 't2',
    })
    await approvals.decide(request.id, alice, 'approved')
    await audit.flush()
    expect(await auditApprovalEvidence(path.join(dir, 'state'), path.join(dir, 'audit'))).toEqual({
      checked: 2,
      problems: [],
    })
  })
})
