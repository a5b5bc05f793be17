import { readFileSync } from 'node:fs'
import { constants } from 'node:os'
import path from 'node:path'
import type { Readable, Writable } from 'node:stream'
import type { Redactor } from '../audit/redact.js'
import { DriftcoreError } from '../errors/driftcore-error.js'
import type { SecretResolver } from '../secrets/resolve.js'
import { isSecretRef } from '../secrets/resolve.js'
import { resolveAllowed } from './allowlist.js'
import {
  SECCOMP_FD,
  STATUS_FD,
  wrapCommand,
  type Containment,
  type Isolation,
  type LimitSpec,
} from './isolation.js'
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
  /**
   * Told the pid of the started process, which leads its own process group. Contained, that is
   * bubblewrap's pid: killing its group (SIGKILL) ends every process the program started.
   */
  onSpawn?: (pid: number) => void
}

export interface LaunchResult {
  /** The command as run (allowlisted path and arguments, prlimit in front when limited), redacted. */
  command: string[]
  /** Run in a PID namespace of its own (bubblewrap): nothing it started outlived it. */
  contained: boolean
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
  /** launcher.containment; `required` when not given. */
  containment?: Containment
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
    const wrapped = wrapCommand([executable, ...(spec.args ?? [])], spec.isolation ?? {}, spec.limits ?? {}, {
      preference: o.isolation,
      containment: o.containment ?? 'required',
      pathVar: parentEnv.PATH ?? '',
    })
    const argv = wrapped.argv
    const env = await this.environment(spec.env ?? {}, parentEnv)
    const timeoutMs = spec.timeoutMs ?? o.defaultTimeoutMs
    const redact = (text: string) => o.redactor.redactText(text)
    const capture = new BoundedCapture(spec.maxOutputBytes ?? o.maxOutputBytes, o.maxLogBytes)
    const started = performance.now()

    if (spec.signal?.aborted) throw new DriftcoreError('cancelled', `cancelled before ${spec.file} started`)
    // Loaded here, not at start-up: most commands never start a process.
    const { execa } = await import('execa')
    const stdin = spec.input === undefined ? 'ignore' : 'pipe'
    const child = execa(argv[0]!, argv.slice(1), {
      cwd,
      env,
      extendEnv: false,
      detached: true,
      reject: false,
      buffer: false,
      stdio: wrapped.contained
        ? [stdin, 'pipe', 'pipe', 'pipe', ...(wrapped.seccomp ? (['pipe'] as const) : [])]
        : [stdin, 'pipe', 'pipe'],
      stripFinalNewline: false,
    })
    if (spec.input !== undefined) child.stdin?.end(spec.input)
    const status = wrapped.contained ? new BwrapStatus(child.stdio[STATUS_FD] as Readable) : undefined
    if (wrapped.seccomp) (child.stdio[SECCOMP_FD] as Writable).end(wrapped.seccomp)
    if (child.pid !== undefined) spec.onSpawn?.(child.pid)
    child.stdout?.on('data', (chunk: Buffer) => capture.add('stdout', chunk))
    child.stderr?.on('data', (chunk: Buffer) => capture.add('stderr', chunk))

    let timedOut = false
    let cancelled = false
    let killTimer: NodeJS.Timeout | undefined
    const terminate = () => {
      // Contained, SIGTERM goes to the sandbox's own process group, so the program can clean up
      // (git removes its index.lock) while bwrap waits; SIGKILL to bwrap then ends the namespace.
      // Before bwrap has said where the sandbox is, bwrap's own group is the only target.
      signalGroup(status?.sandboxPid ?? child.pid, 'SIGTERM')
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
    let exitCode = result.exitCode ?? null
    let signal: string | null = result.signal ?? null
    if (status) {
      await status.closed
      // bwrap has exited; the kernel is still taking the namespace down. The call returns once
      // nothing in it runs: a caller that resets the sandbox next must not race a leftover.
      await status.sandboxGone(o.killGraceMs + 5000)
      const program = status.exitCode()
      if (program === undefined && !timedOut && !cancelled && signal === null) {
        // bwrap exited without running the program (a mount it could not make, …): its own
        // exit code is no answer from the program.
        throw new DriftcoreError(
          'unavailable',
          `bubblewrap could not start ${spec.file} in its sandbox: ${out.stderr.trim().split('\n').at(-1) ?? ''}`,
          { hint: 'check the paths the profile binds and that bubblewrap works here: driftcore doctor' },
        )
      }
      if (program !== undefined) ({ exitCode, signal } = decodeStatus(program))
    }
    const cut = out.stdoutTruncated || out.stderrTruncated
    return {
      command: redactedCommand(argv, wrapped.contained, executable).map(redact),
      contained: wrapped.contained,
      exitCode,
      signal,
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

/**
 * bubblewrap's `--json-status-fd` lines: `child-pid` (its init in the namespace, which leads the
 * sandbox's session and process group) when the sandbox exists, `exit-code` once the program
 * has ended. No `exit-code` means the program never ran.
 */
class BwrapStatus {
  sandboxPid: number | undefined
  private sandboxStart: string | undefined
  /** Settles when bwrap's end of the stream is closed: after its last line. */
  readonly closed: Promise<void>
  private code: number | undefined
  private text = ''

  constructor(stream: Readable) {
    this.closed = new Promise((resolve) => {
      stream.once('close', resolve)
      stream.once('end', resolve)
      stream.once('error', resolve)
    })
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      this.text += chunk
      let newline
      while ((newline = this.text.indexOf('\n')) >= 0) {
        this.line(this.text.slice(0, newline))
        this.text = this.text.slice(newline + 1)
      }
    })
  }

  exitCode(): number | undefined {
    if (this.text) this.line(this.text)
    this.text = ''
    return this.code
  }

  /**
   * Waits until the sandbox's init is gone (or a zombie). The kernel lets a namespace's init
   * finish dying only after every other process in it has, so then the namespace is empty.
   * Past `limitMs` (bwrap's death sends it SIGKILL, so this is a backstop), it is killed here.
   */
  async sandboxGone(limitMs: number): Promise<void> {
    const pid = this.sandboxPid
    const start = this.sandboxStart
    if (pid === undefined || start === undefined) return
    const running = () => startTime(pid) === start && !isZombie(pid)
    const deadline = performance.now() + limitMs
    while (running()) {
      if (performance.now() > deadline) {
        signalPid(pid, 'SIGKILL')
        if (performance.now() > deadline + 1000) return
      }
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
  }

  private line(text: string): void {
    try {
      const value = JSON.parse(text) as { 'child-pid'?: unknown; 'exit-code'?: unknown }
      if (typeof value['child-pid'] === 'number') {
        this.sandboxPid = value['child-pid']
        this.sandboxStart = startTime(this.sandboxPid)
      }
      if (typeof value['exit-code'] === 'number') this.code = value['exit-code']
    } catch {
      // not a status line
    }
  }
}

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name]))

// bubblewrap reports a program killed by signal N as exit code 128 + N, as a shell does; read
// it back as the signal. (A program that itself exits with 129–192 is reported as killed.)
function decodeStatus(code: number): { exitCode: number | null; signal: string | null } {
  const name = code > 128 ? SIGNAL_NAMES.get(code - 128) : undefined
  return name ? { exitCode: null, signal: name } : { exitCode: code, signal: null }
}

// The command as the audit log shows it: the program and its arguments (prlimit included), not
// the bwrap mounts in front of them.
function redactedCommand(argv: readonly string[], contained: boolean, executable: string): string[] {
  if (!contained) return [...argv]
  const start = argv.indexOf('--')
  return start < 0 ? [executable] : argv.slice(start + 1)
}

// The kernel's start time of a process (/proc/<pid>/stat field 22): a pid that names another
// process by then is not mistaken for the sandbox's init.
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z'
  } catch {
    return true
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    // gone
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
