import path from 'node:path'
import type { LaunchResult, ToolContext } from 'driftcore/api'
import { checkRelativePath } from '../paths/confine.js'
import type { SandboxLayout } from './layout.js'
import { sandboxProfile } from './profile.js'

/**
 * The executable as the launcher should see it: a bare name stays a name (looked up on the
 * allowlist and PATH), a relative path means a program in the site (vendor/bin/phpunit), and an
 * absolute path is passed on for the allowlist to judge.
 */
export function sandboxExecutable(layout: SandboxLayout, command: string): string {
  if (!command.includes('/') || path.isAbsolute(command)) return command
  return path.join(layout.site, checkRelativePath(command, 'command'))
}

export interface SandboxRunResult {
  command: string[]
  exit_code: number | null
  signal: string | null
  timed_out: boolean
  duration_ms: number
  /** The last lines of both streams, in order. */
  output_tail: string
  /** The full log (both streams, capped at launcher.max_log_bytes), kept as an artifact. */
  log: string
}

/** Runs one command in the sandbox profile and keeps its whole log as an artifact. */
export async function runInSandbox(
  ctx: ToolContext,
  layout: SandboxLayout,
  spec: {
    command: string
    args: readonly string[]
    cwd?: string
    timeoutMs?: number
    logName: string
    tailLines?: number
  },
): Promise<SandboxRunResult & { launch: LaunchResult }> {
  const cwd =
    spec.cwd === undefined ? layout.site : path.join(layout.site, checkRelativePath(spec.cwd, 'cwd'))
  const profile = sandboxProfile(layout, { cwd })
  const launch = await ctx.launcher.run({
    file: sandboxExecutable(layout, spec.command),
    args: spec.args,
    ...profile,
    timeoutMs: Math.min(profile.timeoutMs ?? Infinity, spec.timeoutMs ?? Infinity),
  })
  const log = await ctx.artifacts.put(launch.log, {
    name: spec.logName,
    mediaType: 'text/plain',
    retention: 'standard',
  })
  return {
    command: [spec.command, ...spec.args],
    exit_code: launch.exitCode,
    signal: launch.signal,
    timed_out: launch.timedOut,
    duration_ms: launch.durationMs,
    output_tail: tail(launch.log, spec.tailLines ?? 40),
    log: log.uri,
    launch,
  }
}

export function tail(text: string, lines: number): string {
  const all = text.replace(/\n$/, '').split('\n')
  return all.slice(-lines).join('\n')
}
