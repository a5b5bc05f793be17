// Kernel hot paths, in-process: policy decisions over a 1,000-rule bundle, audit append
// (fsync=batch) and verify, and the gate's own overhead for a no-op tool.
import { mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { z } from 'zod'
import { AuditLog } from '../../dist/audit/log.js'
import { Redactor } from '../../dist/audit/redact.js'
import { verifyAudit } from '../../dist/audit/verify.js'
import { openKernel } from '../../dist/index.js'
import { parseBundle } from '../../dist/policy/bundle.js'
import { CompiledPolicy } from '../../dist/policy/engine.js'
import { report, summarize } from './stats.mjs'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'driftcore-bench-kernel-'))
const now = () => process.hrtime.bigint()
const us = (a, b) => Number(b - a) / 1e3

function thousandRuleBundle() {
  const rules = ['apiVersion: driftcore/v1', 'kind: PolicyBundle', 'name: big', 'rules:']
  for (let i = 0; i < 1000; i++) {
    const kind = i % 4
    rules.push(`  - id: r${i}`)
    rules.push(`    decision: ${['ALLOW', 'REQUIRE_APPROVAL', 'ALLOW_WITH_CONSTRAINTS', 'DENY'][kind]}`)
    rules.push('    match:')
    rules.push(`      tools: ['plugin${i % 250}.*']`)
    if (kind === 1) rules.push('      risk_tags: { any: [write, exec] }')
    if (kind === 2) rules.push('      actors: { types: [agent] }\n    constraints: { timeout_ms: 30000 }')
    if (kind === 3) rules.push('      environments: [prod]')
    if (i % 10 === 0) rules.push(`    when: 'has(request.input.site) && request.input.site == "s${i}"'`)
  }
  rules.push('  - id: catch-all-read\n    decision: ALLOW\n    match:\n      risk_tags: { only: [read] }')
  return rules.join('\n') + '\n'
}

// 1. policy.evaluate over 1,000 rules: distinct tools so the per-tool candidate cache is exercised too.
{
  const bundle = parseBundle(thousandRuleBundle(), 'big.yaml', 4 * 1024 * 1024)
  const policy = new CompiledPolicy(
    bundle.rules.map((rule) => ({ bundle: 'big', rule })),
    { version: 1, hash: 'bench' },
  )
  const requests = Array.from({ length: 250 }, (_, i) => ({
    tool: { id: `plugin${i}.do`, capability: 'bench', risk_tags: i % 2 ? ['read'] : ['write'], requires: [] },
    input: { site: `s${i * 4}` },
    actor: { type: i % 3 ? 'agent' : 'human', id: 'a' },
    environment: i % 5 ? 'dev' : 'prod',
  }))
  for (let i = 0; i < 20_000; i++) policy.evaluate(requests[i % requests.length])
  const samples = []
  const batch = 100
  for (let i = 0; i < 2_000; i++) {
    const t = now()
    for (let j = 0; j < batch; j++) policy.evaluate(requests[(i * batch + j) % requests.length])
    samples.push(us(t, now()) / batch)
  }
  const s = summarize(samples)
  report('policy.evaluate (1,000 rules)', { median_us: s.p50, p99_us: s.p99 }, 'median ≤ 20 µs')
}

// 1b. one decision whose rules test the input with matches() (RE2, metered), and one whose
// condition is a quadratic macro over a long list, which stops at the budget and denies.
{
  const bundle = parseBundle(
    `apiVersion: driftcore/v1
kind: PolicyBundle
name: patterns
rules:
  - id: custom-modules
    decision: ALLOW
    match: { tools: ['sandbox.*'] }
    when: "request.input.path.matches('^modules/custom/[a-z_]+/[A-Za-z0-9_./-]+$')"
  - id: no-dotfiles
    decision: DENY
    match: { tools: ['sandbox.*'] }
    when: "request.input.path.matches('(^|/)[.][^/]+')"
  - id: distinct
    decision: ALLOW
    match: { tools: ['bulk.*'] }
    when: "request.input.items.all(x, request.input.items.exists_one(y, y == x))"
`,
    'patterns.yaml',
    1024 * 1024,
  )
  const policy = new CompiledPolicy(
    bundle.rules.map((rule) => ({ bundle: 'patterns', rule })),
    { version: 1, hash: 'bench' },
  )
  const request = {
    tool: { id: 'sandbox.apply', capability: 'bench', risk_tags: ['write'], requires: [] },
    input: { path: 'modules/custom/my_module/src/Controller/HelloController.php' },
    actor: { type: 'agent', id: 'a' },
    environment: 'dev',
  }
  for (let i = 0; i < 20_000; i++) policy.evaluate(request)
  const samples = []
  for (let i = 0; i < 2_000; i++) {
    const t = now()
    for (let j = 0; j < 100; j++) policy.evaluate(request)
    samples.push(us(t, now()) / 100)
  }
  const s = summarize(samples)
  report('policy.evaluate, two matches() conditions', { median_us: s.p50, p99_us: s.p99 }, 'median ≤ 20 µs')
  const bulk = {
    ...request,
    tool: { ...request.tool, id: 'bulk.do' },
    input: { items: Array.from({ length: 5_000 }, (_, i) => i) },
  }
  const over = []
  let decision
  for (let i = 0; i < 20; i++) {
    const t = now()
    decision = policy.evaluate(bulk)
    over.push(us(t, now()) / 1000)
  }
  report('policy.evaluate over the CEL budget (5,000² steps asked)', {
    median_ms: summarize(over).p50,
    decision: decision.decision,
  })
}

// 2. audit append with fsync=batch (many writers in flight, as gate calls are) and verify.
{
  const dir = path.join(tmp, 'audit')
  const audit = new AuditLog(dir, {
    fsync: 'batch',
    batchIntervalMs: 10,
    segmentMaxBytes: 64 * 1024 * 1024,
    redactor: new Redactor(),
  })
  const n = 100_000
  const actor = { type: 'agent', id: 'bench' }
  const t = now()
  for (let i = 0; i < n; i++)
    await audit.record({
      type: 'tool.call',
      actor,
      subject: 'bench.noop',
      data: { outcome: 'ok', i, input_hash: 'f'.repeat(64) },
    })
  await audit.flush()
  const seconds = us(t, now()) / 1e6
  report(
    'audit append, fsync=batch',
    { records_per_s: Math.round(n / seconds), records: n },
    '≥ 20,000 records/s',
  )
  const v0 = now()
  const verified = await verifyAudit(dir)
  const vs = us(v0, now()) / 1e6
  if (!verified.ok) throw new Error('verify failed: ' + JSON.stringify(verified.problem))
  report(
    'audit verify',
    { records_per_s: Math.round(verified.records / vs), records: verified.records },
    '≥ 200,000 records/s',
  )
  const always = new AuditLog(path.join(tmp, 'audit-always'), {
    fsync: 'always',
    batchIntervalMs: 10,
    segmentMaxBytes: 1 << 26,
    redactor: new Redactor(),
  })
  const a0 = now()
  for (let i = 0; i < 500; i++)
    await always.record({ type: 'tool.call', actor, subject: 'bench.noop', data: { i } })
  report('audit append, fsync=always, sequential (for comparison)', {
    records_per_s: Math.round(500 / (us(a0, now()) / 1e6)),
  })
}

// 2b. redacting an ordinary audit record, without registered secrets and with three (the
// config's secrets are registered when the kernel opens, each with its encoded forms).
{
  const record = {
    type: 'tool.call',
    actor: { type: 'agent', id: 'claude-code/1a2b3c4d' },
    subject: 'drush.configExport',
    trace_id: '6f1c2d3e-4b5a-4c6d-8e7f-901234567890',
    data: {
      outcome: 'ok',
      input_hash: 'f'.repeat(64),
      rule_ids: ['allow-read-only'],
      result: { inline: { files: ['system.site.yml', 'node.type.article.yml'], digest: 'a'.repeat(64) } },
    },
  }
  const withSecrets = new Redactor()
  for (const secret of ['Kq7vR2mZpL9xT4', 'hook-signing-key-0042', 'Ww3nT8yQe5Ub'])
    withSecrets.register(secret)
  for (const [label, redactor] of [
    ['none', new Redactor()],
    ['3 secrets', withSecrets],
  ]) {
    for (let i = 0; i < 20_000; i++) redactor.redact(record)
    const samples = []
    for (let i = 0; i < 500; i++) {
      const t = now()
      for (let j = 0; j < 100; j++) redactor.redact(record)
      samples.push(us(t, now()) / 100)
    }
    report(`redact one audit record, ${label} registered`, { median_us: summarize(samples).p50 })
  }
}

// 3. gate overhead: validate + decide + record for a no-op read-only tool.
{
  const home = path.join(tmp, 'project/.driftcore')
  mkdirSync(home, { recursive: true })
  writeFileSync(path.join(home, 'config.yaml'), 'audit:\n  fsync: batch\n')
  const noop = {
    id: 'bench.noop',
    description: 'does nothing',
    capability: 'bench',
    risk: ['read'],
    input: z.object({ n: z.number() }),
    output: z.object({ ok: z.boolean() }),
    async run() {
      return { ok: true }
    },
  }
  const kernel = await openKernel({
    home,
    env: { HOME: tmp },
    contributions: [{ plugin: 'bench', capabilities: { tools: [noop] } }],
  })
  const actor = { type: 'agent', id: 'bench' }
  for (let i = 0; i < 2_000; i++) await kernel.gate.invoke('bench.noop', { n: i }, actor)
  const samples = []
  for (let i = 0; i < 10_000; i++) {
    const t = now()
    await kernel.gate.invoke('bench.noop', { n: i }, actor)
    samples.push(us(t, now()))
  }
  await kernel.close()
  const s = summarize(samples)
  report('gate overhead, no-op tool', { median_us: s.p50, p99_us: s.p99 }, 'median ≤ 100 µs')
}

rmSync(tmp, { recursive: true, force: true })
