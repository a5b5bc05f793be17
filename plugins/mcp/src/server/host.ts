import type { Actor, Kernel } from 'driftcore'
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
  /** The person who started the server: the one an elicitation answer is recorded as. */
  operator: Actor
  version: string
  transport: 'stdio' | 'http'
  /** stdio, or HTTP bound to loopback: where `mcp.elicitation.approvals: auto` means on. */
  local: boolean
  metrics?: CallObserver
}

/** What every session of one server shares: the live kernel, the operator, the metrics. */
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
   * Whether a person may be asked to approve through the client. Only a human operator can
   * answer (an agent never approves), and `auto` keeps it off where the server is reachable
   * from other machines, since whoever holds the token would answer as the operator.
   */
  elicitsApprovals(kernel: Kernel): boolean {
    if (this.options.operator.type !== 'human') return false
    const mode = mcpConfig(kernel.config.values).elicitation.approvals
    return mode === 'on' || (mode === 'auto' && this.options.local)
  }
}
