import type { LaunchSpec } from 'driftcore/api'
import type { SandboxLayout } from './layout.js'

export type SandboxSpec = Pick<LaunchSpec, 'cwd' | 'isolation' | 'limits' | 'timeoutMs'>

/**
 * The sandbox profile: no network, the whole filesystem read-only except the site (plus
 * `writable`), and CPU, memory and wall-clock limits. The launcher fails closed when bubblewrap
 * cannot enforce it. `isolation: off` in config is the one, explicit, way to run without it.
 */
export function sandboxProfile(
  layout: SandboxLayout,
  options: { writable?: readonly string[]; limits?: boolean; cwd?: string } = {},
): SandboxSpec {
  const { isolation, limits } = layout.config
  return {
    cwd: options.cwd ?? layout.site,
    isolation:
      isolation === 'strict'
        ? { network: 'none', readOnlyExcept: [layout.site, ...(options.writable ?? [])] }
        : {},
    ...(options.limits === false
      ? {}
      : { limits: { cpuSeconds: limits.cpu_seconds, memoryBytes: limits.memory_bytes } }),
    timeoutMs: limits.wall_clock_ms,
  }
}
