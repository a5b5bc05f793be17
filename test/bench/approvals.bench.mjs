// Issue 16 item 9: an approval request's cost as the approvals history grows. Before, every
// request rewrote state/approvals.json whole under the lock (6.7 MB at 10k records); now it
// appends one line to state/approvals.jsonl and the view is compacted on a threshold. Printed:
// the median cost of one `Approvals.request` (audit record included) at 100, 1k and 10k
// existing records, beside the anchor: the old whole-document rewrite at the same size, measured
// here in the same run (JsonDocument.update adding one request).
import { mkdirSync, rmSync, mkdtempSync, writeFileSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Approvals } from '../../dist/approvals/approvals.js'
import { ApprovalStore } from '../../dist/approvals/store.js'
import { AuditLog } from '../../dist/audit/log.js'
import { Redactor } from '../../dist/audit/redact.js'
import { JsonDocument } from '../../dist/store/documents.js'
import { report, summarize } from './stats.mjs'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'driftcore-bench-approvals-'))
const now = () => process.hrtime.bigint()
const ms = (a, b) => Number(b - a) / 1e6
const decision = {
  decision: 'REQUIRE_APPROVAL',
  rule_ids: ['approve-write-exec'],
  deciding_rule: 'approve-write-exec',
  reason: 'changes need a person',
  constraints: {},
  snapshot: { version: 1, hash: 'bench' },
}
const requester = { type: 'agent', id: 'copilot' }

// A used request as the history holds them: about 670 bytes pretty-printed, as measured.
function oldRequest(i) {
  const at = new Date(Date.now() - 86_400_000).toISOString()
  return {
    id: `apr_${i.toString(16).padStart(12, '0')}`,
    tool: 'drush.configImport',
    input_hash: `${i}`.padStart(64, '0'),
    input: { site: 'default', partial: false, source: `config/sync/${i}` },
    input_summary: `{"site":"default","partial":false,"source":"config/sync/${i}"}`,
    requester,
    rule_ids: ['approve-write-exec'],
    deciding_rule: 'approve-write-exec',
    reason: 'changes need a person',
    trace_id: `trace-${i}`,
    status: 'used',
    created_at: at,
    expires_at: at,
    config_hash: 'c'.repeat(64),
    environment: 'dev',
    decided_by: { type: 'human', id: 'alice' },
    decided_at: at,
    used_at: at,
  }
}

function seed(dir, n) {
  mkdirSync(dir, { recursive: true })
  const requests = {}
  for (let i = 0; i < n; i++) requests[oldRequest(i).id] = oldRequest(i)
  // A state file from before the journal: the first request migrates it (not measured).
  writeFileSync(path.join(dir, 'approvals.json'), JSON.stringify({ requests }, null, 2) + '\n')
}

const SAMPLES = 60
const rows = []
for (const n of [100, 1_000, 10_000]) {
  // The journal, through the real Approvals class.
  const state = path.join(tmp, `state-${n}`)
  seed(state, n)
  const audit = new AuditLog(path.join(tmp, `audit-${n}`), {
    fsync: 'batch',
    batchIntervalMs: 10,
    segmentMaxBytes: 64 * 1024 * 1024,
    redactor: new Redactor(),
  })
  const approvals = new Approvals(state, { ttlMs: 3_600_000, audit, configHash: 'c', environment: 'dev' })
  const ask = (i) =>
    approvals.request({
      tool: 'drush.configImport',
      inputHash: `new-${n}-${i}`,
      input: { i },
      inputSummary: `{"i":${i}}`,
      requester,
      decision,
      traceId: `t-${i}`,
    })
  for (let i = 0; i < 5; i++) await ask(-1 - i) // migration and warm-up
  globalThis.gc?.()
  const samples = []
  for (let i = 0; i < SAMPLES; i++) {
    const t = now()
    await ask(i)
    samples.push(ms(t, now()))
  }
  await audit.close()
  const journal = summarize(samples).p50

  // The anchor: the old whole-document rewrite at the same size.
  const oldDir = path.join(tmp, `old-${n}`)
  seed(oldDir, n)
  const doc = new JsonDocument(path.join(oldDir, 'approvals.json'), () => ({ requests: {} }))
  globalThis.gc?.()
  const old = []
  for (let i = 0; i < Math.min(SAMPLES, n >= 10_000 ? 15 : SAMPLES); i++) {
    const t = now()
    await doc.update((d) => {
      const r = oldRequest(n + i)
      d.requests[r.id] = { ...r, status: 'pending' }
    })
    old.push(ms(t, now()))
  }
  const rewrite = summarize(old).p50
  rows.push({ n, journal, rewrite })
  report(`approval request, ${n.toLocaleString('en')} existing records`, {
    journal_ms: journal,
    rewrite_ms: rewrite,
    ratio: journal / rewrite,
    view_bytes: statSync(path.join(state, 'approvals.json')).size,
    journal_bytes: statSync(path.join(state, 'approvals.jsonl')).size,
  })
}
const flat = rows.at(-1).journal / rows[0].journal
report('approval request, 10k against 100 records', { growth: flat }, 'flat: within 1.5×')
report('old rewrite, 10k against 100 records', { growth: rows.at(-1).rewrite / rows[0].rewrite })

// A run's approval steps all asking at once: group commit puts them under one lock hold and one
// fsync per batch. Before, each waited on the lock folder alone and ~90% of 1,100 timed out at
// 30 s. Printed beside the anchor: one request at a time (the 100-record p50 above).
{
  const state = path.join(tmp, 'at-once')
  mkdirSync(state, { recursive: true })
  const audit = new AuditLog(path.join(tmp, 'audit-at-once'), {
    fsync: 'batch',
    batchIntervalMs: 10,
    segmentMaxBytes: 64 * 1024 * 1024,
    redactor: new Redactor(),
  })
  const approvals = new Approvals(state, { ttlMs: 3_600_000, audit, configHash: 'c', environment: 'dev' })
  const N = 1_000
  const t = now()
  const asked = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      approvals.request({
        tool: 'drush.configImport',
        inputHash: `at-once-${i}`,
        input: { i },
        inputSummary: `{"i":${i}}`,
        requester,
        decision,
        traceId: `t-${i}`,
      }),
    ),
  )
  const total = ms(t, now())
  await audit.close()
  if (new Set(asked.map((r) => r.id)).size !== N) throw new Error('requests at once were lost')
  report(`${N.toLocaleString('en')} approval requests at once`, {
    total_ms: total,
    per_request_ms: total / N,
    one_at_a_time_ms: rows[0].journal,
    ratio: total / N / rows[0].journal,
  })
}

// What compaction costs when it comes (once per 1 MiB of events): the view rewritten whole.
{
  const state = path.join(tmp, 'compact-10k')
  seed(state, 10_000)
  const store = new ApprovalStore(state, { compactBytes: 1 })
  const r = oldRequest(99_999)
  await store.update((tx) => tx.put(r)) // migration
  const t = now()
  await store.update((tx) => tx.put({ ...r, status: 'pending' }))
  const cost = ms(t, now())
  const perEvent = cost / Math.floor((1024 * 1024) / 700)
  report('compaction at 10k records (append + view rewrite)', {
    ms: cost,
    amortized_ms_per_event: perEvent,
  })
}
rmSync(tmp, { recursive: true, force: true })
