import { z } from 'zod'
import path from 'node:path'
import type { InProcessWork, LockRequest, PrecheckContext, ProjectPaths } from 'driftcore/api'
import { commandWords, drushSettings } from '../settings/sections.js'

export const logsSchema = z.lazy(() =>
  z
    .array(z.object({ level: z.string(), message: z.string(), where: z.string().optional() }))
    .describe("Drush's log lines ([success], [notice], [warning], [error]…) as entries"),
)

export const machineName = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'a machine name: lowercase letters, digits, _')

/** Commands that change the site exclude each other; reads of the site share it. */
export const siteLock = (mode: LockRequest['mode']): LockRequest[] => [{ key: 'drupal:site', mode }]

export const sourceSpec = z
  .string()
  .min(1)
  .describe(
    'a config folder, a .tar.gz, a manifest or baseline .json, an artifact:// reference, or a saved baseline name (paths relative to the project)',
  )

type Env = { config: Readonly<Record<string, unknown>>; paths: ProjectPaths }

/** The exchange folder on this side, where Drush's exports and imports pass. */
export function exchangeRoot(env: Env): string {
  return path.resolve(env.paths.root, drushSettings(env.config).exchange.host)
}

/**
 * What the gate holds a tool's own file access to (see InProcessWork.paths): the folders or
 * files its source specs name (artifacts and saved baselines are driftcore's own records),
 * plus the exchange folder when it runs Drush.
 */
export function specPaths(env: Env, specs: readonly (string | undefined)[], exchange = false): string[] {
  const named = specs
    .filter((s): s is string => s !== undefined && !s.startsWith('artifact://'))
    .map((s) => path.resolve(env.paths.root, s))
  return exchange ? [exchangeRoot(env), ...named] : named
}

/** A tool whose whole work is one Drush run and the parsing of its (bounded) output. */
export const drushOnly: InProcessWork = { paths: () => [], bounded: true }

/**
 * The precheck of a tool that runs Drush: the first word of drush.command is allowlisted and
 * installed, so a site without Drush is told so before a person approves anything (the error
 * is the launcher's own: forbidden, or unavailable naming the program).
 */
export function drushFound(_input: unknown, env: PrecheckContext): void {
  env.launcher.resolve(commandWords(drushSettings(env.config))[0]!)
}

/** Names for a one-line summary: the first ten, then how many more. */
export function nameList(names: readonly string[], max = 10): string {
  const shown = names.slice(0, max).join(', ')
  return names.length > max ? `${shown}, … (${names.length - max} more)` : shown
}
