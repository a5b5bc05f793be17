import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import path from 'node:path'
import { ConfinedDir, type Confinement, type ToolContext } from 'driftcore/api'
import type { ConfigSet } from './config-set.js'
import { writeObjects } from './directory.js'
import { putRecord, recordOf, type ConfigRecord } from './record.js'
import type { LoadedSource } from './sources.js'
import { packDirectory } from './tarball.js'

type Ctx = Pick<ToolContext, 'artifacts' | 'paths'>

/** The tarball holding a source's content, stored as an artifact (null when only hashes are known). */
export async function tarballOf(loaded: LoadedSource, ctx: Ctx): Promise<string | null> {
  if (loaded.set.manifestOnly) return null
  if (loaded.origin.tarRef) return loaded.origin.tarRef
  const bytes =
    loaded.origin.tar ??
    (loaded.origin.dir
      ? await packDirectory(
          loaded.origin.dir,
          [...loaded.set.objects.values()].map((f) => f.file),
        )
      : await packSet(loaded.set, ctx))
  const ref = await ctx.artifacts.put(bytes, {
    name: 'baseline.tar.gz',
    mediaType: 'application/gzip',
    retention: 'audit',
  })
  return ref.uri
}

/** Packs an in-memory set by writing it to a scratch folder under `.driftcore/tmp/`. */
export async function packSet(set: ConfigSet, ctx: Ctx): Promise<Buffer> {
  const scratch = path.join(ctx.paths.home, 'tmp')
  await mkdir(scratch, { recursive: true })
  const dir = await mkdtemp(path.join(scratch, 'pack-'))
  try {
    await writeObjects(dir, set.objects.values())
    return await packDirectory(
      dir,
      [...set.objects.values()].map((f) => f.file),
    )
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * Writes a baseline file. A baseline it replaces is kept as an artifact first and named in
 * `previous`, so replacing a baseline never loses the one before. The folder holding it must
 * lie where `confinement` allows, and the file is replaced, never written through a symlink.
 */
export async function writeBaseline(
  file: string,
  set: ConfigSet,
  tar: string | null,
  name: string,
  ctx: Ctx,
  confinement: Confinement,
): Promise<ConfigRecord> {
  const folder = await ConfinedDir.open(path.dirname(file), {
    what: `the folder of baseline ${name}`,
    create: true,
    ...confinement,
  })
  const prior = await folder.readFile(path.basename(file)).catch(() => undefined)
  const previous = prior
    ? (
        await ctx.artifacts.put(prior, {
          name: `baseline-${name}.json`,
          mediaType: 'application/json',
          retention: 'audit',
        })
      ).uri
    : undefined
  const record = recordOf('driftcore.config-baseline', set, tar, { name, ...(previous ? { previous } : {}) })
  await folder.writeFile(path.basename(file), JSON.stringify(record, null, 2) + '\n')
  await putRecord(ctx, record)
  return record
}
