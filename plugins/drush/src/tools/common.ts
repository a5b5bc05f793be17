import { z } from 'zod'
import type { LockRequest } from 'driftcore'

export const logsSchema = z
  .array(z.object({ level: z.string(), message: z.string() }))
  .describe("Drush's log lines ([success], [notice], [warning], [error]…) as entries")

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
