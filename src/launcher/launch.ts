import path from 'node:path'
import type { Redactor } from '../audit/redact.js'
import { DriftcoreError } from '../errors/driftcore-error.js'
import type { SecretResolver } from '../secrets/resolve.js'
import { isSecretRef } from '../secrets/resolve.js'
import { resolveAllowed } from './allowlist.js'
import { wrapCommand, type Isolation, type LimitSpec } from './isolation.js'
import { BoundedCapture } from './capture.js'

export interface LaunchSpec {
  /** A name on launcher.allowlist, or an allowlisted path. Never a shell string. */
  file: string
  args?: readonly string[]
  cwd?: string
  /** Added to the minimal environment; values may be `secret://…` references. */
  env?: Record<string, string>
  input?: string
  timeoutMs?: number
  maxOutputBytes?: number
  isolation?: Isolation
  limits?: LimitSpec
  signal?: AbortSignal
  /** Told the pid of the started process, which leads its own process group. */
  onSpawn?: (pid: number) => void
}

export interface LaunchResult {
  /** The command as run (allowlisted path and arguments), redacted. */
  command: string[]
  exitCode: number | null
  signal: string | null
  timedOut: boolean
  cancelled: boolean
  durationMs: number
  stdout: string
  stderr: string
  stdoutTruncated: boolean
  stderrTruncated: boolean
  /** Both streams in order, redacted and capped at launcher.max_log_bytes. */
  log: string
  /** When output was cut, the full log is kept as an artifact. */
  logArtifact?: string
}

export interface LauncherOptions {
  root: string
  allowlist: readonly string[]
  envPassthrough: readonly string[]
  defaultTimeoutMs: number
  killGraceMs: number
  maxOutputBytes: number
  maxLogBytes: number
  isolation: 'auto' | 'bwrap' | 'unshare'
  redactor: Redactor
  secrets: SecretResolver
  /** Stores a full log as an artifact and returns its reference. */
  storeLog: (log: string, name: string) => Promise<string>
  env?: NodeJS.ProcessEnv
}

const BASE_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER']

/**
 * The one way driftcore starts a process: allowlisted executables only, no shell, a minimal
 * environment, a timeout that ends the whole process group (SIGTERM, then SIGKILL after a
 * grace period), bounded capture, and isolation that fails closed.
 */
export class Launcher {
  constructor(private readonly options: LauncherOptions) {}

  /**
   * The absolute path `run` would start for `file`, or the error it would throw (forbidden when
   * not allowlisted, unavailable when not installed): callers check a whole plan before running any of it.
   */
  resolve(file: string): string {
    const o = this.options
    return resolveAllowed(file, o.allowlist, o.root, (o.env ?? process.env).PATH ?? '')
  }

  async run(spec: LaunchSpec): Promise<LaunchResult> {
    const o = this.options
    const parentEnv = o.env ?? process.env
    const cwd = path.resolve(o.root, spec.cwd ?? '.')
    const executable = this.resolve(spec.file)
    const argv = wrapCommand(
      [executable, ...(spec.args ?? [])],
      spec.isolation ?? {},
      spec.limits ?? {},
      o.isolation,
    )
    const env = await this.environment(spec.env ?? {}, parentEnv)
    const timeoutMs = spec.timeoutMs ?? o.defaultTimeoutMs
    const redact = (text: string) => o.redactor.redactText(text)
    const capture = new BoundedCapture(spec.maxOutputBytes ?? o.maxOutputBytes, o.maxLogBytes)
    const started = performance.now()

    if (spec.signal?.aborted) throw new DriftcoreError('cancelled', `cancelled before ${spec.file} started`)
    // Loaded here, not at start-up: most commands never start a process.
    const { execa } = await import('execa')
    const child = execa(argv[0]!, argv.slice(1), {
      cwd,
      env,
      extendEnv: false,
      detached: true,
      reject: false,
      buffer: false,
      stdin: spec.input === undefined ? 'ignore' : 'pipe',
      stripFinalNewline: false,
    })
    if (spec.input !== undefined) child.stdin?.end(spec.input)
    if (child.pid !== undefined) spec.onSpawn?.(child.pid)
    child.stdout?.on('data', (chunk: Buffer) => capture.add('stdout', chunk))
    child.stderr?.on('data', (chunk: Buffer) => capture.add('stderr', chunk))

    let timedOut = false
    let cancelled = false
    let killTimer: NodeJS.Timeout | undefined
    const terminate = () => {
      signalGroup(child.pid, 'SIGTERM')
      killTimer ??= setTimeout(() => signalGroup(child.pid, 'SIGKILL'), o.killGraceMs)
    }
    const timer = setTimeout(() => {
      timedOut = true
      terminate()
    }, timeoutMs)
    const onAbort = () => {
      cancelled = true
      terminate()
    }
    spec.signal?.addEventListener('abort', onAbort, { once: true })
    let result
    try {
      result = await child
    } finally {
      clearTimeout(timer)
      spec.signal?.removeEventListener('abort', onAbort)
    }
    // The leader may be gone while descendants it left in the group live on: end them too.
    if (timedOut || cancelled) signalGroup(child.pid, 'SIGKILL')
    if (killTimer) clearTimeout(killTimer)
    if (result.code === 'ENOENT' || (result.failed && result.exitCode === undefined && !result.signal)) {
      throw new DriftcoreError(
        'unavailable',
        `could not start ${spec.file}: ${result.shortMessage ?? result.message}`,
        {
          cause: result,
        },
      )
    }
    const out = capture.result(redact)
    const cut = out.stdoutTruncated || out.stderrTruncated
    return {
      command: argv.map(redact),
      exitCode: result.exitCode ?? null,
      signal: result.signal ?? null,
      timedOut,
      cancelled,
      durationMs: Math.round(performance.now() - started),
      ...out,
      ...(cut ? { logArtifact: await o.storeLog(out.log, `${path.basename(executable)}.log`) } : {}),
    }
  }

  private async environment(
    extra: Record<string, string>,
    parentEnv: NodeJS.ProcessEnv,
  ): Promise<Record<string, string>> {
    const env: Record<string, string> = {}
    for (const name of [...BASE_ENV, ...this.options.envPassthrough]) {
      const value = parentEnv[name]
      if (value !== undefined) env[name] = value
    }
    for (const [name, value] of Object.entries(extra)) {
      env[name] = isSecretRef(value) ? await this.options.secrets.resolve(value) : value
    }
    return env
  }
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, signal)
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** A non-zero exit, timeout or cancellation as a DriftcoreError, for callers that need success. */
export function ensureSuccess(result: LaunchResult, what = result.command.join(' ')): LaunchResult {
  if (result.timedOut) throw new DriftcoreError('timeout', `${what} timed out after ${result.durationMs} ms`)
  if (result.cancelled) throw new DriftcoreError('cancelled', `${what} was cancelled`)
  if (result.exitCode !== 0) {
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-5).join('\n')
    throw new DriftcoreError(
      'internal',
      `${what} exited with ${result.exitCode ?? result.signal}${tail ? `:\n${tail}` : ''}`,
      {
        details: { exit_code: result.exitCode, signal: result.signal },
      },
    )
  }
  return result
}
