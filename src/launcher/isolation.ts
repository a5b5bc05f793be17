import { spawnSync } from 'node:child_process'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { which } from './allowlist.js'

export interface Isolation {
  /** `none` runs the process in an empty network namespace. */
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

const probes = new Map<string, boolean>()

// Run as root, bubblewrap keeps every capability: the child could remount the read-only root
// read-write or setns() into the host's network namespace. Without capabilities it cannot.
// (Unprivileged bubblewrap drops them anyway; the flag is accepted either way.)
const DROP_CAPABILITIES = ['--cap-drop', 'ALL']

// A namespace tool can exist and still be unusable (no user namespaces in a container), so we
// try it once per process rather than trusting that it is installed.
function works(command: string, args: string[]): boolean {
  const key = [command, ...args].join(' ')
  let ok = probes.get(key)
  if (ok === undefined) {
    const found = which(command)
    ok =
      found !== undefined &&
      spawnSync(found, [...args, 'true'], { stdio: 'ignore', timeout: 5000 }).status === 0
    probes.set(key, ok)
  }
  return ok
}

export function bwrapAvailable(): boolean {
  return works('bwrap', ['--unshare-net', '--die-with-parent', '--dev-bind', '/', '/', '--'])
}

function unshareAvailable(): boolean {
  return works('unshare', ['--net', '--map-root-user', '--'])
}

/**
 * The wrapper argv that enforces isolation and limits around a command. Fails closed: when a
 * constraint asks for isolation and no tool here can provide it, the command does not run.
 */
export function wrapCommand(
  command: readonly string[],
  isolation: Isolation,
  limits: LimitSpec,
  preference: 'auto' | 'bwrap' | 'unshare',
): string[] {
  let argv = [...command]
  const rlimits = [
    limits.cpuSeconds === undefined ? undefined : `--cpu=${limits.cpuSeconds}`,
    limits.memoryBytes === undefined ? undefined : `--as=${limits.memoryBytes}`,
    limits.openFiles === undefined ? undefined : `--nofile=${limits.openFiles}`,
  ].filter((a): a is string => a !== undefined)
  if (rlimits.length > 0) {
    const prlimit = which('prlimit')
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
  if (!noNetwork && !isolation.readOnlyExcept && hide.length === 0) return argv
  const useBwrap = preference !== 'unshare' && bwrapAvailable()
  if (isolation.readOnlyExcept || hide.length > 0) {
    if (!useBwrap) {
      throw new DriftcoreError(
        'unavailable',
        'filesystem isolation was requested but bubblewrap (bwrap) is not usable here',
        {
          hint: 'install bubblewrap (Debian: apt-get install bubblewrap); driftcore will not run the command unisolated',
        },
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
      : ['--dev-bind', '/', '/']
    return [
      which('bwrap')!,
      '--die-with-parent',
      ...DROP_CAPABILITIES,
      ...(noNetwork ? ['--unshare-net'] : []),
      ...root,
      ...hide.flatMap((p) => ['--tmpfs', p]),
      '--',
      ...argv,
    ]
  }
  if (useBwrap)
    return [
      which('bwrap')!,
      '--unshare-net',
      '--die-with-parent',
      ...DROP_CAPABILITIES,
      '--dev-bind',
      '/',
      '/',
      '--',
      ...argv,
    ]
  if (preference !== 'bwrap' && unshareAvailable())
    return [which('unshare')!, '--net', '--map-root-user', '--', ...argv]
  throw new DriftcoreError(
    'unavailable',
    'network: none was requested but neither bubblewrap nor unshare can isolate the network here',
    {
      hint: 'install bubblewrap (Debian: apt-get install bubblewrap); driftcore will not run the command with network',
    },
  )
}
