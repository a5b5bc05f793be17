// audit query and audit tail at log sizes that matter (built code from dist/; run `npm run
// build` first). A log of AUDIT_BENCH_RECORDS sealed records (default 1,000,000, ~0.4 GB in
// 64 MiB segments) is written straight to disk, then each command is timed as a whole CLI
// process beside its anchor over the same bytes: `grep` for a query, the newest segment alone
// for a `--since` query, and `tail -n 20` on a new log for its peak RSS. Printed, not asserted.
/* global performance, Buffer */
import { spawnSync } from 'node:child_process'
import { closeSync, mkdirSync, openSync, writeSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { report } from './stats.mjs'

const repo = path.resolve(import.meta.dirname, '../..')
const cli = path.join(repo, 'bin/run.js')
const { sealRecord } = await import(path.join(repo, 'dist/audit/record.js'))
const { segmentName } = await import(path.join(repo, 'dist/audit/segments.js'))
const N = Number(process.env.AUDIT_BENCH_RECORDS ?? 1_000_000)
const SEGMENT = 64 * 1024 * 1024

const dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-bench-audit-'))
const env = {
  PATH: process.env.PATH,
  HOME: path.join(dir, 'home'),
  XDG_CONFIG_HOME: path.join(dir, 'home/.config'),
  XDG_DATA_HOME: path.join(dir, 'home/.local/share'),
  XDG_CACHE_HOME: path.join(dir, 'home/.cache'),
  DRIFTCORE_ACTOR: 'human:bench',
  NO_COLOR: '1',
}

function writeLog(auditDir) {
  mkdirSync(auditDir, { recursive: true })
  const start = Date.parse('2026-01-01T00:00:00Z')
  let prev = '0'.repeat(64)
  let segment = 1
  let size = 0
  let fd = openSync(path.join(auditDir, segmentName(segment)), 'w')
  let chunk = ''
  const times = []
  for (let seq = 1; seq <= N; seq++) {
    const at = new Date(start + seq * 1000).toISOString()
    times.push(at)
    // 21 of them are the needle a query looks for, spread over the log
    const rare = seq % Math.floor(N / 21) === 0
    const entry = {
      type: rare ? 'drush.configImport' : 'tool.call',
      actor: { type: 'agent', id: `copilot/${seq % 7}` },
      identity: { os_user: 'bench', uid: 1000 },
      subject: rare ? 'drush.configImport' : 'config.effective',
      data: { outcome: 'ok', duration_ms: seq % 97, meta: { n: seq } },
    }
    const sealed = sealRecord(entry, seq, prev, at, `trace-${seq}`)
    prev = sealed.hash
    chunk += sealed.line
    size += Buffer.byteLength(sealed.line)
    if (chunk.length > 1 << 20 || seq === N || size >= SEGMENT) {
      writeSync(fd, chunk)
      chunk = ''
    }
    if (size >= SEGMENT && seq < N) {
      closeSync(fd)
      segment += 1
      size = 0
      fd = openSync(path.join(auditDir, segmentName(segment)), 'w')
    }
  }
  closeSync(fd)
  writeFileSync(
    path.join(auditDir, 'HEAD.json'),
    JSON.stringify({ segment: segmentName(segment), seq: N, hash: prev, size }).padEnd(255) + '\n',
  )
  return { segments: segment, times }
}

function timed(file, args, options = {}) {
  const started = performance.now()
  const r = spawnSync('/usr/bin/time', ['-f', '%M', file, ...args], {
    cwd: dir,
    env,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    ...options,
  })
  const rssKb = Number(r.stderr.trim().split('\n').at(-1))
  return { ms: performance.now() - started, rssMb: rssKb / 1024, status: r.status, stdout: r.stdout }
}

try {
  spawnSync('node', [cli, 'init'], { cwd: dir, env })
  const tailSmall = timed('node', [cli, 'audit', 'tail', '-n', '20', '--json'])
  const auditDir = path.join(dir, '.driftcore/audit')
  await rm(auditDir, { recursive: true, force: true })
  await rm(path.join(dir, '.driftcore/audit-checkpoints.jsonl'), { force: true })
  const t0 = performance.now()
  const { segments, times } = writeLog(auditDir)
  console.log(
    `wrote ${N} records in ${segments} segments in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  )
  const files = Array.from({ length: segments }, (_, i) => path.join(auditDir, segmentName(i + 1)))

  // The entry bin/run.js routes `audit tail|query` to (no oclif), run the same way by hand, so
  // its figure shows whether or not this build's bin/run.js routes to it.
  const direct = path.join(dir, 'direct.mjs')
  writeFileSync(
    direct,
    `const { runDirect } = await import(${JSON.stringify(path.join(repo, 'dist/audit/direct-cli.js'))})\n` +
      'if (!(await runDirect(process.argv.slice(2)))) process.exitCode = 99\n',
  )
  const bare = timed('node', [cli, '--version'])
  const grep = timed('grep', ['-c', 'drush.configImport', ...files])
  const query = timed('node', [cli, 'audit', 'query', '--subject', 'drush.configImport', '--json'])
  report('audit query --subject (21 matches)', {
    ms: query.ms,
    grep_ms: grep.ms,
    ratio: query.ms / grep.ms,
    matches: JSON.parse(query.stdout).length,
  })

  const since = times[N - 500]
  timed('node', [cli, 'audit', 'query', '--since', since, '--json']) // builds the segment indexes once
  const newest = timed('grep', ['-c', '"seq"', files.at(-1)])
  const recent = timed('node', [cli, 'audit', 'query', '--since', since, '--json'])
  const recentDirect = timed('node', [direct, 'audit', 'query', '--since', since, '--json'])
  report(
    'audit query --since (last 501 records)',
    {
      ms: recent.ms,
      direct_entry_ms: recentDirect.ms,
      newest_segment_grep_ms: newest.ms,
      cli_start_ms: bare.ms,
      ratio_to_start_plus_segment: recent.ms / (bare.ms + newest.ms),
      direct_ratio: recentDirect.ms / (bare.ms + newest.ms),
      matches: JSON.parse(recent.stdout).length,
    },
    'costs what the matching segments cost',
  )
  const subjectDirect = timed('node', [direct, 'audit', 'query', '--subject', 'drush.configImport', '--json'])
  report('audit query --subject, direct entry', {
    ms: subjectDirect.ms,
    grep_ms: grep.ms,
    ratio: subjectDirect.ms / grep.ms,
    ratio_to_start_plus_grep: subjectDirect.ms / (bare.ms + grep.ms),
  })

  const tail = timed('node', [cli, 'audit', 'tail', '-n', '20', '--json'])
  const tailDirect = timed('node', [direct, 'audit', 'tail', '-n', '20', '--json'])
  report(
    'audit tail -n 20',
    {
      ms: tail.ms,
      peak_rss_mb: tail.rssMb,
      direct_entry_peak_rss_mb: tailDirect.rssMb,
      direct_entry_ms: tailDirect.ms,
      on_a_new_log_rss_mb: tailSmall.rssMb,
      growth_mb: tail.rssMb - tailSmall.rssMb,
      bare_cli_rss_mb: bare.rssMb,
    },
    'under 50 MiB RSS at any log size',
  )
} finally {
  if (process.env.AUDIT_BENCH_KEEP) console.log(`kept ${dir}`)
  else await rm(dir, { recursive: true, force: true })
}
