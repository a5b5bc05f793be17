import type { Actor, Identity } from 'driftcore/api'
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import type { LoggingLevel } from '@modelcontextprotocol/sdk/types.js'
import { registerHandlers } from './handlers.js'
import type { McpHost } from './host.js'
import { atLeast, mcpLevel } from './logging.js'

const INSTRUCTIONS = `driftcore acts on a Drupal project. Every tool call is decided by policy first and recorded in a tamper-evident audit log.
- Check before acting: policy.simulate says whether a call would be allowed, denied or need approval.
- A denied call returns an error naming the rule and reason. It is a decision, not a fault: do not retry it.
- A call that needs approval returns an approval id. You cannot approve it; a person does (driftcore approvals approve ID). Poll approvals.status, then repeat the call with exactly the same arguments (in this session or a later one); nothing else to pass.
- The prompts metadata-inspection and config-drift walk through the flagship workflows.`

/** One MCP connection: a low-level SDK server whose handlers act through the gate. */
export class McpSession {
  readonly server: Server
  /** The lowest level of logging notifications the client asked for. */
  level: LoggingLevel = 'info'
  /** Resource URIs the client subscribed to (resources/subscribe). */
  readonly subscriptions = new Set<string>()
  /** The protocol version this session negotiated at initialize (over HTTP; see http/protocol-version.ts). */
  protocolVersion: string | undefined
  private initialized = false

  constructor(
    readonly host: McpHost,
    readonly id: string,
  ) {
    this.server = new Server(
      { name: 'driftcore', title: 'driftcore', version: host.options.version },
      {
        capabilities: {
          tools: { listChanged: true },
          resources: { listChanged: true, subscribe: true },
          prompts: { listChanged: true },
          completions: {},
          logging: {},
        },
        instructions: INSTRUCTIONS,
      },
    )
    this.server.oninitialized = () => {
      this.initialized = true
    }
    this.server.onclose = () => {
      host.sessions.delete(this)
    }
    registerHandlers(this)
  }

  // Built once per client name (known from initialize) and frozen: every call of the session
  // hands the same objects to the gate, and the audit log keeps the redacted copies of frozen
  // ones instead of walking them again for each record.
  private who: { name: string | undefined; actor: Actor; identity: Partial<Identity> } | undefined

  private whoami(): { actor: Actor; identity: Partial<Identity> } {
    const client = this.server.getClientVersion()?.name
    if (this.who && this.who.name === client) return this.who
    const name = (client ?? '').replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 64)
    this.who = {
      name: client,
      actor: Object.freeze({ type: 'agent', id: `${name || 'mcp-client'}/${this.id}` }),
      identity: Object.freeze({ mcp: Object.freeze({ client: client ?? '', session: this.id }) }),
    }
    return this.who
  }

  /** The agent acting in this session: its client's name and the session, e.g. `agent:claude-code/3f9a…`. */
  actor(): Actor {
    return this.whoami().actor
  }

  /**
   * What the audit records of this session's calls add to the process's identity: the client's
   * name as it gave it in initialize (the core escapes control characters and caps its length)
   * and the session id, which stdio makes up per connection and HTTP gives the transport.
   */
  identity(): Partial<Identity> {
    return this.whoami().identity
  }

  clientName(): string {
    return this.server.getClientVersion()?.name ?? 'an MCP client'
  }

  supportsElicitation(): boolean {
    return this.server.getClientCapabilities()?.elicitation?.form !== undefined
  }

  /** A server-wide log line (the kernel's), as a logging notification. */
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string, data?: Record<string, unknown>): void {
    if (!this.initialized || !atLeast(mcpLevel(level), this.level)) return
    this.server
      .sendLoggingMessage({
        level: mcpLevel(level),
        logger: 'driftcore',
        data: data ? { message, ...data } : message,
      })
      .catch(() => undefined)
  }

  /** After a reload: list_changed for the lists that changed, updated for every subscription. */
  notifyChanged(changed: { tools: boolean; resources: boolean }): void {
    if (!this.initialized) return
    if (changed.tools) this.server.sendToolListChanged().catch(() => undefined)
    if (changed.resources) this.server.sendResourceListChanged().catch(() => undefined)
    for (const uri of this.subscriptions) this.server.sendResourceUpdated({ uri }).catch(() => undefined)
  }
}
