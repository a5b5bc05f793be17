// Policy decisions over a 1,000-rule bundle: a tool id seen before (its candidate rules cached)
// against one never seen (a cache miss: the prefix index finds the rules that can match), and
// 100,000 distinct ids in rotation (ten times the cache) against 1,000. The anchor is the hit,
// measured in the same run; the linear scan (every glob on a miss, as before the index) is shown
// for comparison. Imports the built code: npm run build. BENCH_RULES and BENCH_IDS scale it.
import { parseBundle } from '../../dist/policy/bundle.js'
import { CANDIDATE_CACHE_SIZE, CompiledPolicy } from '../../dist/policy/engine.js'
import { report, summarize } from './stats.mjs'

const RULES = Number(process.env.BENCH_RULES ?? 1000)
const IDS = Number(process.env.BENCH_IDS ?? 100_000)
const PLUGINS = Math.max(1, RULES / 4)
const now = () => process.hrtime.bigint()

// The kernel bench's bundle: four rules per plugin prefix, every tenth with a condition.
function bundleText() {
  const rules = ['apiVersion: driftcore/v1', 'kind: PolicyBundle', 'name: big', 'rules:']
  for (let i = 0; i < RULES; i++) {
    const kind = i % 4
    rules.push(`  - id: r${i}`)
    rules.push(`    decision: ${['ALLOW', 'REQUIRE_APPROVAL', 'ALLOW_WITH_CONSTRAINTS', 'DENY'][kind]}`)
    rules.push('    match:')
    rules.push(`      tools: ['plugin${i % PLUGINS}.*']`)
    if (kind === 1) rules.push('      risk_tags: { any: [write, exec] }')
    if (kind === 2) rules.push('      actors: { types: [agent] }\n    constraints: { timeout_ms: 30000 }')
    if (kind === 3) rules.push('      environments: [prod]')
    if (i % 10 === 0) rules.push(`    when: 'has(request.input.site) && request.input.site == "s${i}"'`)
  }
  rules.push('  - id: catch-all-read\n    decision: ALLOW\n    match:\n      risk_tags: { only: [read] }')
  return rules.join('\n') + '\n'
}

const bundle = parseBundle(bundleText(), 'big.yaml', 64 * 1024 * 1024)
const sources = bundle.rules.map((rule) => ({ bundle: 'big', rule }))
const request = (id, i) => ({
  tool: { id, capability: 'bench', risk_tags: i % 2 ? ['read'] : ['write'], requires: [] },
  input: { site: `s${(i * 4) % RULES}` },
  actor: { type: i % 3 ? 'agent' : 'human', id: 'a' },
  environment: i % 5 ? 'dev' : 'prod',
})

// Median µs per decision for each case, batches of the cases interleaved so that a busy
// machine slows them alike: the ratios are what to read. A case is [policy, next(n) → request].
function measure(cases, { batches = 400, batch = 50, warm = 2_000 } = {}) {
  const n = cases.map(() => 0)
  cases.forEach(([policy, next], c) => {
    for (let i = 0; i < warm; i++) policy.evaluate(next(n[c]++))
  })
  const samples = cases.map(() => [])
  for (let b = 0; b < batches; b++)
    cases.forEach(([policy, next], c) => {
      const t = now()
      for (let j = 0; j < batch; j++) policy.evaluate(next(n[c]++))
      samples[c].push(Number(now() - t) / 1e3 / batch)
    })
  return samples.map((s) => summarize(s).p50)
}

const hitRequests = Array.from({ length: 250 }, (_, i) => request(`plugin${i % PLUGINS}.do`, i))
const indexed = new CompiledPolicy(sources, { version: 1, hash: 'bench' })
const linear = new CompiledPolicy(sources, { version: 1, hash: 'bench' }, { index: false })
const hitCase = [indexed, (n) => hitRequests[n % hitRequests.length]]
// Every id new: `plugin7.m123456` (the prefix index finds plugin7's four rules and the catch-all).
const missCase = [indexed, (n) => request(`plugin${n % PLUGINS}.m${n}`, n)]

const [hit, miss] = measure([hitCase, missCase], { batches: 1_000, batch: 100 })
const [hit2, linearMiss] = measure([hitCase, [linear, (n) => request(`plugin${n % PLUGINS}.m${n}`, n)]], {
  batches: 40,
  batch: 10,
  warm: 50,
})
report(`policy.evaluate, ${RULES} rules, cached tool id (anchor)`, { median_us: hit })
report(`policy.evaluate, ${RULES} rules, new tool id`, { median_us: miss, ratio: miss / hit }, 'ratio ≤ 5×')
report(`policy.evaluate, ${RULES} rules, new tool id, linear scan (before the index)`, {
  median_us: linearMiss,
  ratio: linearMiss / hit2,
})

// Distinct ids in rotation: 1,000 fit the cache, 100,000 are ten times it (every call a miss).
for (const count of [1_000, IDS]) {
  const policy = new CompiledPolicy(sources, { version: 1, hash: 'bench' })
  const requests = Array.from({ length: count }, (_, i) => request(`plugin${i % PLUGINS}.tool${i}`, i))
  globalThis.gc?.()
  const before = process.memoryUsage().heapUsed
  const [anchor, us] = measure([hitCase, [policy, (n) => requests[n % count]]], {
    batches: 400,
    batch: 100,
    warm: 2 * count,
  })
  globalThis.gc?.()
  const grown = (process.memoryUsage().heapUsed - before) / 1024 / 1024
  report(
    `policy.evaluate, ${RULES} rules, ${count} distinct tool ids in rotation (cache ${CANDIDATE_CACHE_SIZE})`,
    { median_us: us, cached_id_us: anchor, ratio: us / anchor, heap_growth_mb: grown },
    'ratio ≤ 5×, heap bounded',
  )
}
