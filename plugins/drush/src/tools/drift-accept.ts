import { rm } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { DriftcoreError, defineTool, writeFileAtomic, type ToolContext } from 'driftcore'
import { packSet, writeBaseline } from '../configset/baselines.js'
import { digestOf, manifestOf, setOf, type ConfigFile } from '../configset/config-set.js'
import { packDirectory } from '../configset/tarball.js'
import { loadConfigSource, type LoadedSource } from '../configset/sources.js'
import { sourceSpec } from './common.js'

interface Change {
  name: string
  was?: ConfigFile
  now?: ConfigFile
}

export const driftAccept = defineTool({
  id: 'drift.accept',
  title: "Accept the site's config into the baseline",
  description:
    "Re-exports chosen objects: each takes the current export's version in the baseline (written, added, or deleted when the site no longer has it). The baseline is a config folder (e.g. config/sync) or a saved baseline; its earlier state is kept as an artifact.",
  capability: 'drift.write',
  risk: ['write'],
  input: z.object({
    baseline: sourceSpec.describe('the baseline to update: a config folder or a saved baseline'),
    current: sourceSpec.describe("the site's current export"),
    objects: z.array(z.string().min(1)).min(1).describe('the config objects to accept'),
  }),
  output: z.object({
    baseline: z.string(),
    written: z.array(z.string()),
    deleted: z.array(z.string()),
    previous: z.string().describe("an artifact holding the baseline's state before"),
    digest: z.string().describe("the baseline's digest after"),
  }),
  locks: (input) => [{ key: `drift:baseline:${input.baseline}`, mode: 'exclusive' }],
  async run(input, ctx) {
    const baseline = await loadConfigSource(input.baseline, ctx)
    const current = await loadConfigSource(input.current, ctx)
    if (current.set.manifestOnly || baseline.set.manifestOnly) {
      throw new DriftcoreError(
        'invalid_input',
        'accepting needs the content of both sides, not only their hashes',
      )
    }
    const changes = input.objects.map((name): Change => {
      const was = baseline.set.objects.get(name)
      const now = current.set.objects.get(name)
      if (!was && !now)
        throw new DriftcoreError('invalid_input', `neither side has a config object "${name}"`)
      return { name, ...(was ? { was } : {}), ...(now ? { now } : {}) }
    })
    const written = changes.filter((c) => c.now).map((c) => c.name)
    const deleted = changes.filter((c) => !c.now).map((c) => c.name)
    if (baseline.set.kind === 'directory' && baseline.origin.dir) {
      const previous = await acceptIntoFolder(baseline.origin.dir, baseline, changes, ctx)
      const after = await loadConfigSource(input.baseline, ctx)
      return { baseline: input.baseline, written, deleted, previous, digest: after.digest }
    }
    if (baseline.set.kind === 'baseline' && baseline.origin.file && baseline.record) {
      const objects = new Map(baseline.set.objects)
      for (const c of changes) {
        if (c.now) objects.set(c.name, c.now)
        else objects.delete(c.name)
      }
      const merged = setOf('baseline', baseline.set.label, objects.values())
      const tar = await ctx.artifacts.put(await packSet(merged, ctx), {
        name: 'baseline.tar.gz',
        mediaType: 'application/gzip',
        retention: 'audit',
      })
      const record = await writeBaseline(
        baseline.origin.file,
        merged,
        tar.uri,
        baseline.record.name ?? 'main',
        ctx,
      )
      return {
        baseline: input.baseline,
        written,
        deleted,
        previous: record.previous!,
        digest: digestOf(manifestOf(merged)),
      }
    }
    throw new DriftcoreError(
      'invalid_input',
      `${input.baseline} is a ${baseline.set.kind}, which cannot be updated`,
      {
        hint: 'accept into a config folder (e.g. config/sync) or a baseline saved with drift snapshot',
      },
    )
  },
})

/** Writes the accepted objects into a config folder, after keeping the folder's state as an artifact. */
async function acceptIntoFolder(
  dir: string,
  baseline: LoadedSource,
  changes: readonly Change[],
  ctx: Pick<ToolContext, 'artifacts'>,
): Promise<string> {
  const before = await packDirectory(
    dir,
    [...baseline.set.objects.values()].map((f) => f.file),
  )
  const previous = await ctx.artifacts.put(before, {
    name: 'baseline-before-accept.tar.gz',
    mediaType: 'application/gzip',
    retention: 'audit',
  })
  for (const c of changes) {
    if (c.now) {
      if (c.was && c.was.file !== c.now.file)
        await rm(path.join(dir, ...c.was.file.split('/')), { force: true })
      await writeFileAtomic(path.join(dir, ...c.now.file.split('/')), c.now.bytes!)
    } else {
      await rm(path.join(dir, ...c.was!.file.split('/')), { force: true })
    }
  }
  return previous.uri
}
