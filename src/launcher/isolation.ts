import { spawnSync } from 'node:child_process'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { which } from './allowlist.js'
import { noSocketsFilter } from './seccomp.js'

export interface Isolation {
  /** `none`: an empty network namespace, and no socket but IPv4/IPv6/netlink ones (no Unix sockets). */
  network?: 'none' | 'any'
  /** The whole filesystem read-only except these paths (needs bubblewrap). */
  readOnlyExcept?: readonly string[]
  /** Paths the process must not see: an empty folder is mounted over each (needs bubblewrap). */
  hidePaths?: readonly string[]
}

export interface LimitSpec {
  cpuSeconds?: number
  memoryBytes?: number
  openFiles?: number
}

/** How processes are kept together: `required` runs each in a PID namespace of its own, `off` does not. */
export type Containment = 'required' | 'off'

export interface WrapOptions {
  /** launcher.isolation: `unshare` means bubblewrap is not to be used. */
  preference: 'auto' | 'bwrap' | 'unshare'
  containment: Containment
  /** Where bwrap and prlimit are looked up: the PATH the child gets. */
  pathVar?: string
}

/** The argv to start, and what the launcher must hand bubblewrap alongside it. */
export interface Wrapped {
  argv: string[]
  /**
   * Run by bubblewrap in a PID namespace of its own: the process started is bwrap, the
   * program is its init's child, and the end of bwrap is the end of everything inside.
   */
  contained: boolean
  /** The seccomp program for `--seccomp 4`, when the argv asks for it. */
  seccomp?: Buffer
}

/** The fds bubblewrap is handed: 3 for its JSON status lines, 4 for the seccomp program. */
export const STATUS_FD = 3
export const SECCOMP_FD = 4

const probes = new Map<string, boolean>()

// Run as root, bubblewrap keeps every capability: the child could remount the read-only root
// read-write or setns() into the host's network namespace. Without capabilities it cannot.
// (Unprivileged bubblewrap drops them anyway; the flag is accepted either way.)
const DROP_CAPABILITIES = ['--cap-drop', 'ALL']

// A namespace tool can exist and still be unusable (no user namespaces in a container), so we
// try it once per process, with the very namespaces we use, rather than trusting that it is installed.
function bwrapPath(pathVar: string | undefined): string | undefined {
  const found = which('bwrap', pathVar)
  if (found === undefined) return undefined
  let ok = probes.get(found)
  if (ok === undefined) {
    const probe = ['--unshare-pid', '--unshare-net', '--die-with-parent', '--new-session']
    const args = [...probe, '--dev-bind', '/', '/', '--proc', '/proc', '--', 'true']
    ok = spawnSync(found, args, { stdio: 'ignore', timeout: 5000 }).status === 0
    probes.set(found, ok)
  }
  return ok ? found : undefined
}

export function bwrapAvailable(pathVar = process.env.PATH): boolean {
  return bwrapPath(pathVar) !== undefined
}

/**
 * The wrapper argv that enforces containment, isolation and limits around a command. Fails
 * closed: when something asked for cannot be provided here, the command does not run.
 *
 * Containment: every process runs in a PID namespace of its own under bubblewrap
 * (`--unshare-pid --die-with-parent`, a fresh /proc). The pid the launcher reports is bwrap's:
 * when it dies, its init in the namespace gets SIGKILL and the kernel ends every process in
 * the namespace with it, including those that left the process group with setsid(). When
 * driftcore itself dies, bwrap does too.
 */
export function wrapCommand(
  command: readonly string[],
  isolation: Isolation,
  limits: LimitSpec,
  options: WrapOptions,
): Wrapped {
  let argv = [...command]
  const rlimits = [
    limits.cpuSeconds === undefined ? undefined : `--cpu=${limits.cpuSeconds}`,
    limits.memoryBytes === undefined ? undefined : `--as=${limits.memoryBytes}`,
    limits.openFiles === undefined ? undefined : `--nofile=${limits.openFiles}`,
  ].filter((a): a is string => a !== undefined)
  if (rlimits.length > 0) {
    const prlimit = which('prlimit', options.pathVar)
    if (!prlimit) {
      throw new DriftcoreError(
        'unavailable',
        'resource limits were requested but prlimit (util-linux) is not installed',
        {
          hint: 'install util-linux, or drop cpu_seconds/memory_bytes/open_files from the policy constraints',
        },
      )
    }
    argv = [prlimit, ...rlimits, '--', ...argv]
  }
  const noNetwork = isolation.network === 'none'
  const hide = isolation.hidePaths ?? []
  const isolated = noNetwork || isolation.readOnlyExcept !== undefined || hide.length > 0
  if (!isolated && options.containment === 'off') return { argv, contained: false }
  const bwrap = options.preference === 'unshare' ? undefined : bwrapPath(options.pathVar)
  if (!bwrap) {
    if (isolated) throw isolationUnavailable(noNetwork ? 'network: none' : 'filesystem isolation')
    throw new DriftcoreError(
      'unavailable',
      `driftcore runs every process in a PID namespace of its own, so that a timeout or a cancel ends everything it started, and bubblewrap (bwrap) is not usable here${options.preference === 'unshare' ? ' (launcher.isolation is unshare)' : ''}`,
      {
        hint: 'install bubblewrap (Debian: apt-get install bubblewrap); or, where processes may outlive their calls, set launcher.containment: off in the project config',
      },
    )
  }
  const seccomp = noNetwork ? noSocketsFilter() : undefined
  if (noNetwork && !seccomp) {
    throw new DriftcoreError(
      'unavailable',
      `network: none was requested but driftcore has no socket filter for ${process.arch}: Unix sockets on the host would stay reachable`,
      { hint: 'run the command without network: none, on x86_64 or arm64' },
    )
  }
  const root = isolation.readOnlyExcept
    ? [
        '--ro-bind',
        '/',
        '/',
        '--dev',
        '/dev',
        '--proc',
        '/proc',
        '--tmpfs',
        '/tmp',
        ...isolation.readOnlyExcept.flatMap((p) => ['--bind', p, p]),
      ]
    : ['--dev-bind', '/', '/', '--proc', '/proc']
  return {
    argv: [
      bwrap,
      '--unshare-pid',
      '--die-with-parent',
      // The sandbox's own session and process group (its init leads it), so that SIGTERM can
      // reach the program while bwrap, outside it, waits for the grace period to end.
      '--new-session',
      '--json-status-fd',
      String(STATUS_FD),
      ...(isolated ? DROP_CAPABILITIES : []),
      ...(noNetwork ? ['--unshare-net', '--seccomp', String(SECCOMP_FD)] : []),
      ...root,
      ...hide.flatMap((p) => ['--tmpfs', p]),
      '--',
      ...argv,
    ],
    contained: true,
    ...(seccomp ? { seccomp } : {}),
  }
}

function isolationUnavailable(what: string): DriftcoreError {
  return new DriftcoreError(
    'unavailable',
    `${what} was requested but bubblewrap (bwrap) is not usable here`,
    {
      hint: 'install bubblewrap (Debian: apt-get install bubblewrap); driftcore will not run the command unisolated',
    },
  )
}
