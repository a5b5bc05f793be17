import type { DrushLogEntry } from '../drush/output.js'

/** Drush's log entries as Drush prints them. */
export function formatLogs(logs: readonly DrushLogEntry[]): string {
  return (
    logs.map((l) => (l.level === 'output' ? l.message : `[${l.level}] ${l.message}`)).join('\n') || '(no log)'
  )
}
