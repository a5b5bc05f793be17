import { mkdir, rm } from 'node:fs/promises'
import { z } from 'zod'
import { DriftcoreError, defineTool, type ToolContext } from 'driftcore/api'
import { readDirectory } from '../configset/directory.js'
import { putRecord, recordOf, recordSummarySchema } from '../configset/record.js'
import { packDirectory } from '../configset/tarball.js'
import { exchangeFolder, runDrush } from '../drush/run.js'
import { drushSettings } from '../settings/sections.js'
import { rememberExport } from '../state/exports.js'
import { exchangeRoot, logsSchema, siteLock } from './common.js'

export const exportOutput = z.lazy(() =>
  recordSummarySchema.unwrap().extend({
    record: z.string().describe('the export record artifact: manifest, digest and tarball reference'),
    logs: logsSchema,
  }),
)

/**
 * Exports the live site's config into an exchange folder and keeps it as artifacts: the
 * tarball, and a record holding the manifest and its digest. The folder is removed after.
 */
export async function exportSite(ctx: ToolContext) {
  const folder = exchangeFolder(ctx, 'export')
  await mkdir(folder.host, { recursive: true })
  try {
    const run = await runDrush(ctx, { command: 'config:export', options: { destination: folder.site } })
    const settings = drushSettings(ctx.config)
    const set = await readDirectory(
      folder.host,
      `site export (${settings.alias ?? settings.uri ?? 'default site'})`,
    )
    if (set.objects.size === 0) {
      throw new DriftcoreError('internal', `drush config:export wrote no config files into ${folder.host}`, {
        hint: 'when Drush runs in a container, set drush.exchange.site to where it sees drush.exchange.host',
        details: { logs: run.logs },
      })
    }
    const tar = await ctx.artifacts.put(
      await packDirectory(
        folder.host,
        [...set.objects.values()].map((f) => f.file),
      ),
      { name: 'config-export.tar.gz', mediaType: 'application/gzip', retention: 'audit' },
    )
    const record = recordOf('driftcore.config-export', set, tar.uri)
    const uri = await putRecord(ctx, record)
    const summary = {
      digest: record.digest,
      files: record.files,
      bytes: record.bytes,
      tar: tar.uri,
      created_at: record.created_at,
    }
    await rememberExport(ctx.paths, { record: uri, ...summary })
    return { record: uri, ...summary, logs: run.logs }
  } finally {
    await rm(folder.host, { recursive: true, force: true })
  }
}

export const configExport = defineTool({
  id: 'drush.configExport',
  title: "Export the site's config",
  description:
    "Runs `drush config:export` into a scratch folder and keeps the result as artifacts: a .tar.gz of the export, and a record with the manifest ({file, sha256, size}) and a digest over it. Does not touch the site's sync folder.",
  capability: 'drupal.read',
  risk: ['read'],
  requires: ['drush'],
  // It reads and packs the whole export itself: its work grows with the site, so not bounded.
  inProcess: { paths: (_input, env) => [exchangeRoot(env)] },
  input: () => z.object({}),
  output: () => exportOutput,
  locks: () => siteLock('shared'),
  async run(_input, ctx) {
    return exportSite(ctx)
  },
})
