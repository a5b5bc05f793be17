import { lstat, readdir } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError, isDriftcoreError, type ToolContext } from 'driftcore/api'
import picomatch from 'picomatch'
import type { QaConfig, QaEntry } from '../config/sections.js'
import { checkRelativePath } from '../paths/confine.js'
import { changesSince } from '../sandbox/changes.js'
import { openSite, requireSandbox, type SandboxLayout } from '../sandbox/layout.js'
import { readManifest } from '../sandbox/manifest.js'
import { runInSandbox, sandboxExecutable, tail } from '../sandbox/run.js'
import type { JunitSummary } from './junit.js'

export type StepStatus = 'passed' | 'failed' | 'skipped'

export interface StepResult {
  name: string
  command: string[]
  status: StepStatus
  /** Why a step was skipped, or what failed beyond the exit code. */
  reason?: string
  exit_code: number | null
  duration_ms: number
  timed_out: boolean
  /** How many times the command ran (once per matching file with for_each_changed). */
  runs: number
  output_tail: string
  /** The full log as an artifact. */
  log?: string
  junit?: JunitSummary & { file: string; artifact: string }
}

export interface QaResult {
  ok: boolean
  stopped_early: boolean
  /** Files changed since the snapshot (or, without one, every file in the custom-modules folder). */
  changed_files: string[]
  steps: StepResult[]
  /** The whole result, kept as a JSON artifact. */
  report: string
}

const MAX_JUNIT_BYTES = 8 * 1024 * 1024

/**
 * Runs the QA chain in the sandbox profile, in order, stopping at the first failure unless
 * configured otherwise. Every entry is checked against the launcher allowlist first, so a chain
 * with a forbidden or missing program runs nothing at all.
 */
export async function runChain(
  ctx: ToolContext,
  layout: SandboxLayout,
  qa: QaConfig,
  options: { only?: string[]; stopOnFailure?: boolean } = {},
): Promise<QaResult> {
  await requireSandbox(layout)
  const entries = selectEntries(qa.chain, options.only)
  for (const [index, entry] of entries.entries()) {
    try {
      ctx.launcher.resolve(sandboxExecutable(layout, entry.command))
    } catch (error) {
      if (!isDriftcoreError(error)) throw error
      throw new DriftcoreError(
        error.code,
        `qa.chain entry "${entry.name}" (#${index + 1}): ${error.message}; nothing was run`,
        {
          ...(error.hint ? { hint: error.hint } : {}),
          details: { ...error.details, entry: entry.name },
        },
      )
    }
    if (entry.junit) checkRelativePath(entry.junit, `qa.chain entry "${entry.name}" junit`)
  }
  const changed = await changedFiles(ctx, layout)
  const stopOnFailure = options.stopOnFailure ?? qa.stop_on_failure
  const steps: StepResult[] = []
  let stopped = false
  for (const entry of entries) {
    if (stopped) {
      steps.push(skipped(entry, 'an earlier step failed'))
      continue
    }
    const step = await runEntry(ctx, layout, entry, changed, qa.tail_lines)
    steps.push(step)
    if (step.status === 'failed' && stopOnFailure && !entry.continue_on_failure) stopped = true
  }
  const result = {
    ok: steps.every((s) => s.status !== 'failed'),
    stopped_early: stopped,
    changed_files: changed,
    steps,
  }
  const report = await ctx.artifacts.put(JSON.stringify(result, null, 2), {
    name: 'qa-report.json',
    mediaType: 'application/json',
    retention: 'standard',
  })
  return { ...result, report: report.uri }
}

function selectEntries(chain: readonly QaEntry[], only: readonly string[] | undefined): QaEntry[] {
  if (!only || only.length === 0) return [...chain]
  const unknown = only.filter((name) => !chain.some((e) => e.name === name))
  if (unknown.length > 0) {
    throw new DriftcoreError(
      'invalid_input',
      `no QA entry named ${unknown.map((n) => `"${n}"`).join(', ')}`,
      {
        hint: `qa.chain has: ${chain.map((e) => e.name).join(', ') || '(nothing)'}`,
      },
    )
  }
  return chain.filter((e) => only.includes(e.name))
}

async function runEntry(
  ctx: ToolContext,
  layout: SandboxLayout,
  entry: QaEntry,
  changed: readonly string[],
  tailLines: number,
): Promise<StepResult> {
  const matches = entry.for_each_changed ? picomatch(entry.for_each_changed, { dot: true }) : undefined
  const targets = matches ? changed.filter((file) => matches(file)) : [undefined]
  if (targets.length === 0) return skipped(entry, `no changed file matches ${entry.for_each_changed}`)
  const junitBefore = entry.junit ? await fileStamp(path.join(layout.site, entry.junit)) : undefined
  const logs: string[] = []
  let logRef = ''
  let exitCode: number | null = 0
  let duration = 0
  let timedOut = false
  for (const target of targets) {
    const run = await runInSandbox(ctx, layout, {
      command: entry.command,
      args: target === undefined ? entry.args : [...entry.args, target],
      ...(entry.timeout_ms ? { timeoutMs: entry.timeout_ms } : {}),
      logName: `qa-${entry.name}.log`,
    })
    logs.push(run.launch.log)
    logRef = run.log
    duration += run.duration_ms
    timedOut ||= run.timed_out
    if (exitCode === 0 && run.exit_code !== 0) exitCode = run.exit_code
  }
  const log = logs.join('')
  // One run's log is already an artifact; several runs are kept together as one.
  if (targets.length > 1) {
    logRef = (
      await ctx.artifacts.put(log, {
        name: `qa-${entry.name}.log`,
        mediaType: 'text/plain',
        retention: 'standard',
      })
    ).uri
  }
  const junit = entry.junit ? await readJunit(ctx, layout, entry.junit, junitBefore) : undefined
  const junitFailed = junit !== undefined && junit.failures + junit.errors > 0
  const failed = exitCode !== 0 || timedOut || junitFailed
  return {
    name: entry.name,
    command: [entry.command, ...entry.args, ...(entry.for_each_changed ? ['<file>'] : [])],
    status: failed ? 'failed' : 'passed',
    ...(timedOut
      ? { reason: 'timed out' }
      : junitFailed
        ? { reason: `${junit.failures + junit.errors} failing test(s) in ${entry.junit}` }
        : {}),
    exit_code: exitCode,
    duration_ms: duration,
    timed_out: timedOut,
    runs: targets.length,
    output_tail: tail(log, tailLines),
    log: logRef,
    ...(junit ? { junit } : {}),
  }
}

function skipped(entry: QaEntry, reason: string): StepResult {
  return {
    name: entry.name,
    command: [entry.command, ...entry.args],
    status: 'skipped',
    reason,
    exit_code: null,
    duration_ms: 0,
    timed_out: false,
    runs: 0,
    output_tail: '',
  }
}

// Changed since the snapshot; with no snapshot yet, everything in the custom-modules folder.
async function changedFiles(ctx: ToolContext, layout: SandboxLayout): Promise<string[]> {
  const manifest = await readManifest(layout)
  if (manifest) {
    return (await changesSince(ctx, layout, manifest))
      .filter((c) => c.status !== 'deleted')
      .map((c) => c.path)
  }
  const entries = await readdir(layout.modulesDir, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(layout.site, path.join(e.parentPath, e.name)))
    .sort()
}

async function fileStamp(file: string): Promise<string | undefined> {
  const info = await lstat(file).catch(() => undefined)
  return info ? `${info.ino}:${info.mtimeMs}:${info.size}` : undefined
}

// Only a report this run wrote counts: a stale file from an earlier run must not pass for this one.
async function readJunit(
  ctx: ToolContext,
  layout: SandboxLayout,
  rel: string,
  before: string | undefined,
): Promise<(JunitSummary & { file: string; artifact: string }) | undefined> {
  const file = path.join(layout.site, rel)
  const info = await lstat(file).catch(() => undefined)
  if (!info?.isFile() || info.size > MAX_JUNIT_BYTES || (await fileStamp(file)) === before) return undefined
  // Read through the site folder without following a symlink: what ran in the sandbox may have
  // put one on the way to the report, pointing at a file it could not read itself.
  const xml = (await (await openSite(layout)).readFile(rel)).toString('utf8')
  const artifact = await ctx.artifacts.put(xml, {
    name: path.basename(rel),
    mediaType: 'application/xml',
    retention: 'standard',
  })
  // The XML parser loads on first use: every command start registers this plugin's tools.
  const { parseJunit } = await import('./junit.js')
  return { ...parseJunit(xml, rel), file: rel, artifact: artifact.uri }
}
