import { mkdir, rm } from 'node:fs/promises'
import { z } from 'zod'
import { DriftcoreError, defineTool, type ToolContext } from 'driftcore/api'
import type { ConfigFile } from '../configset/config-set.js'
import { writeObjects } from '../configset/directory.js'
import { loadConfigSource } from '../configset/sources.js'
import { exchangeFolder, runDrush } from '../drush/run.js'
import { drushFound, logsSchema, siteLock, sourceSpec, specPaths } from './common.js'
import { exportSite } from './config-export.js'
import { importPreview } from '../drift/preview.js'

const input = () =>
  z.object({
    source: sourceSpec
      .optional()
      .describe("what to import (a folder, tarball, baseline, export…); default: the site's own sync folder"),
    objects: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('import only these objects (a partial import: nothing is deleted); needs a source'),
    backup: z.boolean().default(true).describe("export the site's config first, so the import can be undone"),
  })

export const configImport = defineTool({
  id: 'drush.configImport',
  title: 'Import config into the site',
  description:
    "Runs `drush config:import`: the site's config becomes the source's (a full import also deletes objects the source lacks; with `objects`, only those are imported). The site's config is exported first as a backup.",
  capability: 'drupal.config.write',
  risk: ['write'],
  idempotent: true,
  requires: ['drush'],
  inProcess: { paths: (args, env) => specPaths(env, [args.source], true) },
  input,
  output: () =>
    z.object({
      source: z.string().nullable(),
      partial: z.boolean(),
      objects: z.number().describe('how many objects were handed to Drush'),
      digest: z.string().nullable().describe('digest of what was imported'),
      backup: z.string().nullable().describe('export record of the site before the import'),
      logs: logsSchema,
    }),
  locks: () => siteLock('exclusive'),
  preview: (args, env) => importPreview(args, env),
  precheck(args, env) {
    if (args.objects && !args.source) {
      throw new DriftcoreError('invalid_input', 'objects needs a source to take them from')
    }
    drushFound(args, env)
  },
  // The backup export only reads the site; the import's Drush run begins the effects.
  effects: 'marked',
  verdict: (out) => ({
    ok: true,
    summary: out.source
      ? `imported ${out.objects} config object${out.objects === 1 ? '' : 's'} from ${out.source}${out.partial ? ' (partial)' : ''}`
      : "imported the site's sync folder",
  }),
  async run(args, ctx) {
    if (args.objects && !args.source) {
      throw new DriftcoreError('invalid_input', 'objects needs a source to take them from')
    }
    const backup = args.backup ? (await exportSite(ctx)).record : null
    if (!args.source) {
      const run = await runDrush(ctx, { command: 'config:import' })
      return { source: null, partial: false, objects: 0, digest: null, backup, logs: run.logs }
    }
    const { set, digest } = await loadConfigSource(args.source, ctx)
    if (set.manifestOnly) {
      throw new DriftcoreError(
        'invalid_input',
        `${args.source} holds only file hashes, not content: it cannot be imported`,
      )
    }
    const files = args.objects ? pick(set.objects, args.objects, args.source) : [...set.objects.values()]
    return importFiles(ctx, files, { source: args.source, partial: Boolean(args.objects), digest, backup })
  },
})

async function importFiles(
  ctx: ToolContext,
  files: ConfigFile[],
  meta: { source: string; partial: boolean; digest: string; backup: string | null },
) {
  const folder = exchangeFolder(ctx, 'import')
  await mkdir(folder.host, { recursive: true })
  try {
    await writeObjects(folder.host, files)
    const run = await runDrush(ctx, {
      command: 'config:import',
      options: { source: folder.site, ...(meta.partial ? { partial: true as const } : {}) },
    })
    return { ...meta, objects: files.length, logs: run.logs }
  } finally {
    await rm(folder.host, { recursive: true, force: true })
  }
}

function pick(
  objects: ReadonlyMap<string, ConfigFile>,
  names: readonly string[],
  source: string,
): ConfigFile[] {
  const missing = names.filter((n) => !objects.has(n))
  if (missing.length > 0) {
    throw new DriftcoreError('invalid_input', `${source} has no config object ${missing.join(', ')}`, {
      details: { missing },
    })
  }
  return names.map((n) => objects.get(n)!)
}
