import path from 'node:path'
import { DriftcoreError, type ToolContext } from 'driftcore/api'
import { commandWords, drushSettings } from '../settings/sections.js'
import { DRUSH_COMMANDS, drushArguments, type DrushCall } from './commands.js'
import { DRUSH_COLUMNS, parseDrushLog, type DrushLogEntry } from './output.js'

export interface DrushRun {
  stdout: string
  logs: DrushLogEntry[]
  duration_ms: number
}

/**
 * Runs one allowlisted Drush command through the call's launcher: the configured prefix
 * (`ddev drush`…), the site alias, --root and --uri, and the command's checked arguments.
 * A failed run becomes a DriftcoreError carrying Drush's own error lines.
 */
export async function runDrush(ctx: ToolContext, call: DrushCall): Promise<DrushRun> {
  const settings = drushSettings(ctx.config)
  const [file, ...prefix] = commandWords(settings)
  const globals = [
    ...(settings.root ? [`--root=${settings.root}`] : []),
    ...(settings.uri ? [`--uri=${settings.uri}`] : []),
  ]
  const args = [...prefix, ...(settings.alias ? [settings.alias] : []), ...drushArguments(call, globals)]
  const result = await ctx.launcher.run({
    file: file!,
    args,
    cwd: ctx.paths.root,
    // Symfony wraps Drush's error boxes at the terminal width: wide, a message stays one line.
    env: { COLUMNS: String(DRUSH_COLUMNS) },
    timeoutMs: settings.timeout_ms,
    ...(DRUSH_COMMANDS[call.command]?.readsOnly ? { changesNothing: true } : {}),
  })
  const logs = parseDrushLog(result.stderr)
  const what = `drush ${call.command}`
  if (result.timedOut) throw new DriftcoreError('timeout', `${what} timed out after ${result.durationMs} ms`)
  if (result.cancelled) throw new DriftcoreError('cancelled', `${what} was cancelled`)
  if (result.exitCode !== 0) throw failure(what, result.exitCode, logs, result.stdout)
  return { stdout: result.stdout, logs, duration_ms: result.durationMs }
}

function failure(
  what: string,
  exitCode: number | null,
  logs: DrushLogEntry[],
  stdout: string,
): DriftcoreError {
  const errors = logs.filter((l) => l.level === 'error' || l.level === 'critical')
  const said = errors.length > 0 ? errors : logs.filter((l) => l.level === 'output' || l.level === 'warning')
  const told = said.map((l) => l.message).join('\n') || stdout.trim()
  // Drush that cannot reach the site's database is a site that is down, not a bug here: Drush 13
  // then lacks the commands that need it, and php:script dies before Drupal has a container.
  const unreachable =
    /bootstrap|database|SQLSTATE|could not find a Drupal site|container is not initialized/i.test(told)
  const code = unreachable
    ? 'unavailable'
    : /does not exist\.?$/m.test(told)
      ? 'not_found'
      : /^(The import failed|Invalid data type in config)/m.test(told)
        ? 'invalid_input'
        : 'internal'
  return new DriftcoreError(
    code,
    `${what} failed (exit ${exitCode ?? 'signal'})${told ? `: ${bounded(told)}` : ''}`,
    {
      hint: unreachable
        ? 'check drush.command, drush.root, drush.uri and drush.alias, and that the site and its database are up'
        : undefined,
      details: { exit_code: exitCode, logs: logs.slice(-20) },
    },
  )
}

// Whole sentences, but not a whole page: a message is for reading.
function bounded(text: string): string {
  return text.length > 4000 ? `${text.slice(0, 4000)}…` : text
}

/**
 * A folder both driftcore and Drush can see, one per call: `host` is where driftcore reads
 * and writes it, `site` where Drush finds it (they differ when Drush runs in a container).
 */
export function exchangeFolder(ctx: ToolContext, name: string): { host: string; site: string } {
  const { exchange } = drushSettings(ctx.config)
  // One folder per call, named after its trace; only safe characters, so no id can climb out.
  const folder = `${name}-${ctx.traceId.replace(/[^A-Za-z0-9_-]/g, '_')}`
  const host = path.resolve(ctx.paths.root, exchange.host, folder)
  const site = exchange.site ? path.posix.join(exchange.site, folder) : host
  return { host, site }
}
