import type { Kernel } from '../../kernel/open.js'
import type { DeadLetters } from '../dlq/store.js'
import type { CompileOptions } from '../format/compile.js'
import { systemClock, type Clock } from './clock.js'
import type { EngineDeps } from './runtime.js'
import { Semaphore } from './semaphore.js'

/** How workflows are compiled in this project: its env allowlist, sinks and tools. */
export function compileOptions(kernel: Kernel): CompileOptions {
  const v = kernel.config.values
  return {
    envAllowlist: v.workflow.env_allowlist,
    sinks: Object.keys(v.workflow.notify.sinks),
    hasTool: (id) => void kernel.registry.tool(id),
    redactor: kernel.redactor,
  }
}

/** The engine's view of the kernel and config; env is cut down to the allowlist here. */
export function engineDeps(
  kernel: Kernel,
  deadLetters: DeadLetters,
  options: { clock?: Clock; env?: NodeJS.ProcessEnv },
): EngineDeps {
  const v = kernel.config.values
  const env = options.env ?? process.env
  return {
    gate: kernel.gate,
    approvals: kernel.approvals,
    artifacts: kernel.artifacts,
    locks: kernel.locks,
    audit: kernel.audit,
    deadLetters,
    logger: kernel.logger,
    redactor: kernel.redactor,
    clock: options.clock ?? systemClock,
    globalSlots: new Semaphore(v.workflow.concurrency),
    pollMs: v.workflow.poll_interval_ms,
    tenant: v.project.name,
    pools: v.pools,
    inlineMaxBytes: v.artifacts.inline_max_bytes,
    env: Object.fromEntries(
      v.workflow.env_allowlist.filter((n) => env[n] !== undefined).map((n) => [n, env[n]!]),
    ),
    verdictOf: (tool, output) => kernel.registry.tool(tool).verdict?.(output),
  }
}
