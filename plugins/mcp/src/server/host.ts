import type { Kernel } from 'driftcore/api'
import { mcpConfig } from '../config/section.js'
import type { LiveKernel } from './live-kernel.js'
import type { LogRelay } from './logging.js'
import { McpSession } from './session.js'

/** Counts tool calls for /metrics (HTTP mode); stdio runs without one. */
export interface CallObserver {
  observe(tool: string, decision: string, outcome: string, seconds: number): void
}

export interface HostOptions {
  live: LiveKernel
  version: string
  transport: 'stdio' | 'http'
  /** stdio, or HTTP bound to loopback: where `mcp.elicitation.approvals: auto` means on. */
  local: boolean
  metrics?: CallObserver
}

/** What every session of one server shares: the live kernel and the metrics. */
export class McpHost {
  readonly sessions = new Set<McpSession>()

  constructor(
    readonly options: HostOptions,
    relay: LogRelay,
  ) {
    relay.attach((level, message, data) => {
      for (const session of this.sessions) session.log(level, message, data)
    })
    options.live.onCatalogChange((changed) => {
      for (const session of this.sessions) session.notifyChanged(changed)
    })
  }

  open(id: string): McpSession {
    const session = new McpSession(this, id)
    this.sessions.add(session)
    return session
  }

  /**
   * Whether the client may be asked to decide an approval whose policy accepts a client's word.
   * The answer is recorded as the client's, whoever the operator is; `auto` still keeps it off
   * where the server is reachable from other machines, where any token holder's client answers.
   */
  elicitsApprovals(kernel: Kernel): boolean {
    const mode = mcpConfig(kernel.config.values).elicitation.approvals
    return mode === 'on' || (mode === 'auto' && this.options.local)
  }
}
