import { DriftcoreError } from 'driftcore'

export type LogLevel = 'success' | 'notice' | 'warning' | 'error' | 'info' | 'debug' | 'critical' | 'alert'

export interface DrushLogEntry {
  level: LogLevel | 'output'
  message: string
}

const LOG_LINE = /^\s*\[(success|notice|warning|error|info|debug|critical|alert|emergency|ok)\]\s+(.*)$/

/**
 * Drush's log lines (` [success] Cache rebuild complete.`) as entries. A line without a level
 * continues the entry before it (multi-line messages, exception traces); lines before the
 * first entry are kept as `output`.
 */
export function parseDrushLog(text: string): DrushLogEntry[] {
  const entries: DrushLogEntry[] = []
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd()
    const match = LOG_LINE.exec(line)
    if (match) {
      const level = match[1] === 'emergency' ? 'critical' : match[1] === 'ok' ? 'success' : match[1]
      entries.push({ level: level as LogLevel, message: match[2]!.trim() })
      continue
    }
    if (line.trim() === '') continue
    const last = entries.at(-1)
    if (last) last.message += `\n${line.trim()}`
    else entries.push({ level: 'output', message: line.trim() })
  }
  return entries
}

/**
 * A RowsOfFields or PropertyList printed with --format=json. Drush prints an object keyed by
 * row (not an array) and `[]` when there are no rows; both become a plain object.
 */
export function parseDrushJson(stdout: string, command: string): Record<string, unknown> {
  const text = stdout.trim()
  if (text === '' || text === '[]') return {}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new DriftcoreError(
      'internal',
      `drush ${command} printed output that is not JSON: ${preview(text)}`,
      {
        hint: 'check that the Drush command prefix runs Drush itself (drush.command)',
        cause: error,
      },
    )
  }
  if (Array.isArray(value)) return Object.fromEntries(value.map((row, i) => [String(i), row as unknown]))
  if (value === null || typeof value !== 'object') {
    throw new DriftcoreError('internal', `drush ${command} printed ${typeof value}, expected a JSON object`)
  }
  return value as Record<string, unknown>
}

function preview(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}
