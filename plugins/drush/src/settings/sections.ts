import { z } from 'zod'

// Each word of the prefix is one argv element: no shell parses it, so quoting and shell syntax
// would reach the program literally. Refusing them here catches `ddev drush; rm -rf /` early.
const SHELL_SYNTAX = /["'`$;&|<>()\\*?{}]/
const NO_SHELL = 'the Drush command is run without a shell: quotes and shell syntax are not allowed'

const commandWord = z
  .string()
  .min(1)
  .refine((word) => !SHELL_SYNTAX.test(word) && !/\s/.test(word), NO_SHELL)
const commandLine = z
  .string()
  .trim()
  .min(1)
  .refine((line) => !SHELL_SYNTAX.test(line), NO_SHELL)

const machineName = /^[a-z0-9_]+(\.[a-z0-9_]+)*$/

/**
 * The `drush:` section. Drush is reached only through the launcher: the first word of
 * `command` must be on `launcher.allowlist` (drush and vendor/bin/drush are by default;
 * add ddev, lando or docker yourself).
 */
export const drushSection = z
  .strictObject({
    command: z
      .union([commandLine, z.array(commandWord).min(1)])
      .default('drush')
      .describe(
        'how to run Drush: drush, vendor/bin/drush, "ddev drush", "lando drush", "docker compose exec -T php drush"',
      ),
    root: z.string().min(1).nullable().default(null).describe('--root: the Drupal root, as Drush sees it'),
    uri: z.string().min(1).nullable().default(null).describe('--uri: the site URI (multisite)'),
    alias: z
      .string()
      .regex(/^@[A-Za-z0-9_.-]+$/, 'a site alias looks like @self or @prod')
      .nullable()
      .default(null)
      .describe('a Drush site alias, e.g. @staging'),
    timeout_ms: z.number().int().positive().default(300_000),
    config_dir: z
      .string()
      .min(1)
      .default('config/sync')
      .describe(
        "the site's exported config (relative to the project); metadata comes from here without Drush",
      ),
    exchange: z
      .strictObject({
        host: z
          .string()
          .min(1)
          .default('.driftcore/tmp/drush')
          .describe('a folder driftcore writes and reads'),
        site: z
          .string()
          .regex(/^\//, 'the folder as Drush sees it is an absolute path')
          .nullable()
          .default(null)
          .describe('the same folder as Drush sees it (inside a container); default: the host path'),
      })
      .prefault({}),
    state: z
      .strictObject({
        keys: z
          .array(z.string().regex(machineName, 'a state key looks like system.cron_last'))
          .default(['system.cron_last', 'system.maintenance_mode', 'install_time']),
        config: z
          .array(
            z
              .string()
              .regex(
                /^[a-z0-9_]+(\.[a-z0-9_]+)+:[a-z0-9_]+(\.[a-z0-9_]+)*$/,
                'a config value looks like system.site:page.front',
              ),
          )
          .default([
            'system.site:name',
            'system.site:page.front',
            'system.site:default_langcode',
            'system.theme:default',
            'system.theme:admin',
            'system.performance:css.preprocess',
            'system.performance:js.preprocess',
            'system.logging:error_level',
            'core.extension:profile',
          ]),
      })
      .prefault({}),
  })
  .prefault({})

/** The `drift:` section: what counts as drift and how the remediation plan is split. */
export const driftSection = z
  .strictObject({
    noise: z
      .array(z.string().min(1))
      .default(['_core.default_config_hash'])
      .describe(
        "key paths never counted as drift (dot-separated; * is one key, ** any depth); an object's own uuid always counts",
      ),
    ignore: z
      .array(z.string().min(1))
      .default([])
      .describe('config object names never compared (globs, e.g. devel.* or language.*:*)'),
    accept_site: z
      .array(z.string().min(1))
      .default([])
      .describe("objects the plan re-exports (accepts the site's value) instead of importing"),
  })
  .prefault({})

export type DrushSettings = z.output<typeof drushSection>
export type DriftSettings = z.output<typeof driftSection>

/** The prefix as argv words: a string is split at spaces. */
export function commandWords(settings: DrushSettings): string[] {
  return typeof settings.command === 'string' ? settings.command.split(/\s+/) : [...settings.command]
}

/** The plugin's sections from a tool's or resource's effective config. */
export function drushSettings(config: Readonly<Record<string, unknown>>): DrushSettings {
  return (config.drush as DrushSettings | undefined) ?? drushSection.parse(undefined)
}

export function driftSettings(config: Readonly<Record<string, unknown>>): DriftSettings {
  return (config.drift as DriftSettings | undefined) ?? driftSection.parse(undefined)
}

export function maxYamlBytes(config: Readonly<Record<string, unknown>>): number {
  return (config.limits as { max_yaml_bytes?: number } | undefined)?.max_yaml_bytes ?? 1024 * 1024
}
