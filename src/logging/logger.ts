import type { Redactor } from '../audit/redact.js'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 }

export interface Logger {
  debug(message: string, data?: Record<string, unknown>): void
  info(message: string, data?: Record<string, unknown>): void
  warn(message: string, data?: Record<string, unknown>): void
  error(message: string, data?: Record<string, unknown>): void
}

export type LogSink = (level: LogLevel, message: string, data?: Record<string, unknown>) => void

/**
 * Logs go to stderr (or a sink such as MCP logging notifications), never stdout: stdout
 * belongs to command output and, in MCP stdio mode, to the protocol. Everything is redacted.
 */
export function createLogger(options: { redactor: Redactor; level?: LogLevel; sink?: LogSink }): Logger {
  const min =
    ORDER[options.level ?? (process.env.DRIFTCORE_LOG_LEVEL as LogLevel | undefined) ?? 'warn'] ?? ORDER.warn
  const sink: LogSink =
    options.sink ??
    ((level, message, data) => {
      process.stderr.write(`${level}: ${message}${data ? ` ${JSON.stringify(data)}` : ''}\n`)
    })
  const log = (level: LogLevel) => (message: string, data?: Record<string, unknown>) => {
    if (ORDER[level] < min) return
    sink(
      level,
      options.redactor.redactText(message),
      data === undefined ? undefined : options.redactor.redact(data),
    )
  }
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }
}
