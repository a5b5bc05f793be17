import { copyFile, mkdir, rm } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { DriftcoreError, resolveWithin, type ToolContext } from 'driftcore/api'
import { readRoots } from '../configset/roots.js'
import { loadConfigSource } from '../configset/sources.js'
import { parseDrushJson } from '../drush/output.js'
import { exchangeFolder, runDrush } from '../drush/run.js'
import { drushSettings, maxYamlBytes } from '../settings/sections.js'
import { metadataFromConfig, metadataObjects } from './from-config.js'
import { siteMetadataSchema, type SiteMetadata } from './model.js'
import { yamlReader } from '../yaml/read.js'
import { looksSecret } from './values.js'

/** The PHP script shipped with the plugin (php/harvest.php). */
export const HARVEST_SCRIPT = fileURLToPath(new URL('../../php/harvest.php', import.meta.url))

const BEGIN = 'DRIFTCORE-METADATA-BEGIN'
const END = 'DRIFTCORE-METADATA-END'

/**
 * Runs the harvest script on the live site through `drush php:script`. The script is copied
 * into the exchange folder, the one place both driftcore and Drush (maybe in a container) see.
 */
export async function harvestWithDrush(
  ctx: ToolContext,
  only: readonly string[] = [],
): Promise<SiteMetadata> {
  const settings = drushSettings(ctx.config)
  const folder = exchangeFolder(ctx, 'harvest')
  await mkdir(folder.host, { recursive: true })
  try {
    await copyFile(HARVEST_SCRIPT, path.join(folder.host, 'driftcore-harvest.php'))
    const run = await runDrush(ctx, {
      command: 'php:script',
      args: [path.posix.join(folder.site, 'driftcore-harvest.php')],
      extra: [
        ...only.map((t) => `--entity-type=${t}`),
        ...settings.state.keys.filter((k) => !looksSecret(k)).map((k) => `--state=${k}`),
        ...settings.state.config.filter((k) => !looksSecret(k)).map((k) => `--config=${k}`),
      ],
    })
    const start = run.stdout.indexOf(BEGIN)
    const end = run.stdout.indexOf(END, start)
    if (start < 0 || end < 0) {
      throw new DriftcoreError(
        'internal',
        'the metadata harvest printed no result (its markers are missing)',
        {
          hint: 'run `drush php:script` by hand to see what the site prints',
          details: { logs: run.logs.slice(-10) },
        },
      )
    }
    const json: unknown = JSON.parse(run.stdout.slice(start + BEGIN.length, end))
    const parsed = siteMetadataSchema.safeParse({
      ...(json as object),
      source: { kind: 'drush', detail: settings.alias ?? settings.uri ?? settings.root ?? 'default site' },
    })
    if (!parsed.success) {
      throw new DriftcoreError(
        'internal',
        `the metadata harvest printed an unexpected shape: ${parsed.error.issues[0]?.message ?? ''}`,
        {
          details: { issues: parsed.error.issues.slice(0, 5) },
        },
      )
    }
    return parsed.data
  } finally {
    await rm(folder.host, { recursive: true, force: true })
  }
}

/** Metadata from a config export (folder, tarball, export or baseline), without Drush. */
export async function harvestFromConfig(
  ctx: Pick<ToolContext, 'config' | 'paths' | 'artifacts' | 'logger'>,
  source?: string,
): Promise<SiteMetadata> {
  const spec = source ?? drushSettings(ctx.config).config_dir
  const configKeys = drushSettings(ctx.config).state.config
  const { set } = await loadConfigSource(spec, ctx, { only: metadataObjects(configKeys) })
  if (set.manifestOnly) {
    throw new DriftcoreError(
      'invalid_input',
      `${spec} holds only file hashes: metadata needs the config content`,
    )
  }
  return metadataFromConfig(set, { parse: await yamlReader(maxYamlBytes(ctx.config)), configKeys })
}

/**
 * The site's own sync folder, as `drush status` reports it (it answers even when the database
 * is down): `config-sync`, relative to the Drupal root. Only when Drush sees the same files
 * (no drush.exchange.site) and the folder is one driftcore may read; otherwise undefined, and
 * drush.config_dir is used.
 */
export async function siteSyncFolder(ctx: ToolContext): Promise<string | undefined> {
  if (drushSettings(ctx.config).exchange.site) return undefined
  try {
    const run = await runDrush(ctx, {
      command: 'core:status',
      options: { format: 'json', fields: 'root,config-sync' },
    })
    const status = parseDrushJson(run.stdout, 'core:status')
    const root = status.root
    const sync = status['config-sync']
    if (typeof root !== 'string' || typeof sync !== 'string' || sync === '') return undefined
    const folder = path.resolve(root, sync)
    const allowed = await resolveWithin(folder, {
      base: ctx.paths.root,
      what: 'the site sync folder',
      ...readRoots(ctx.paths, ctx.config),
    }).catch(() => undefined)
    return allowed && existsSync(allowed) ? folder : undefined
  } catch {
    return undefined
  }
}
