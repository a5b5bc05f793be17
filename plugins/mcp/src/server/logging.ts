import type { Kernel, Logger } from 'driftcore/api'
import type { LoggingLevel, ServerNotification } from '@modelcontextprotocol/sdk/types.js'

type KernelLevel = 'debug' | 'info' | 'warn' | 'error'
type Sink = (level: KernelLevel, message: string, data?: Record<string, unknown>) => void

const SEVERITY: readonly LoggingLevel[] = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
]
const TO_MCP: Record<KernelLevel, LoggingLevel> = {
  debug: 'debug',
  info: 'info',
  warn: 'warning',
  error: 'error',
}
const STDERR_MIN = ['debug', 'info', 'warn', 'error'].indexOf(process.env.DRIFTCORE_LOG_LEVEL ?? 'warn')

export function mcpLevel(level: KernelLevel): LoggingLevel {
  return TO_MCP[level]
}

export function atLeast(level: LoggingLevel, min: LoggingLevel): boolean {
  return SEVERITY.indexOf(level) >= SEVERITY.indexOf(min)
}

/** One line on stderr, the only place a stdio server may write besides the protocol. */
export const stderrSink: Sink = (level, message, data) => {
  if (['debug', 'info', 'warn', 'error'].indexOf(level) < (STDERR_MIN < 0 ? 2 : STDERR_MIN)) return
  process.stderr.write(`${level}: ${message}${data ? ` ${JSON.stringify(data)}` : ''}\n`)
}

/**
 * The kernel's log sink, opened before any session exists: it writes to stderr and forwards to
 * whatever is attached later (the server's sessions, as logging notifications).
 */
export class LogRelay {
  private target: Sink | undefined
  readonly sink: Sink = (level, message, data) => {
    stderrSink(level, message, data)
    this.target?.(level, message, data)
  }

  attach(target: Sink): void {
    this.target = target
  }
}

/**
 * A handler's logger during one call: its lines go to the client that made the call, on that
 * call's stream, as logging notifications (at or above the level the client set), and to
 * stderr. Redacted here, since these lines never pass the kernel's logger.
 */
export function callLogger(options: {
  name: string
  redactor: Kernel['redactor']
  minLevel: () => LoggingLevel
  send: (notification: ServerNotification) => Promise<void>
}): Logger {
  const log = (level: KernelLevel) => (message: string, data?: Record<string, unknown>) => {
    const text = options.redactor.redactText(message)
    const extra = data === undefined ? undefined : options.redactor.redact(data)
    stderrSink(level, `${options.name}: ${text}`, extra)
    if (!atLeast(TO_MCP[level], options.minLevel())) return
    options
      .send({
        method: 'notifications/message',
        params: {
          level: TO_MCP[level],
          logger: options.name,
          data: extra ? { message: text, ...extra } : text,
        },
      })
      .catch(() => undefined)
  }
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }
}
