import { constants } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import {
  ConfinedDir,
  DriftcoreError,
  isDriftcoreError,
  resolveWithin,
  type Logger,
  type ProjectPaths,
  type ToolContext,
} from 'driftcore/api'
import { baselineFile, isBaselineName } from '../state/paths.js'
import { digestOf, manifestOf, setFromManifest, type ConfigSet } from './config-set.js'
import { readDirectory } from './directory.js'
import { configRecordSchema, manifestEntrySchema, type ConfigRecord } from './record.js'
import { readRoots } from './roots.js'
import { isGzip, readTarball } from './tarball.js'

export interface SourceContext {
  paths: ProjectPaths
  config: Readonly<Record<string, unknown>>
  artifacts: ToolContext['artifacts']
  logger: Logger
}

export interface LoadOptions {
  /**
   * Read only the objects whose names pass (metadata needs a few hundred of a site's files).
   * The digest of such a set covers the selection only.
   */
  only?: (name: string) => boolean
  /** A set this one will be compared with: its objects' hashes are reused for identical bytes. */
  like?: ConfigSet
}

export interface LoadedSource {
  set: ConfigSet
  digest: string
  /** The record the set came from (an export or a baseline), if any. */
  record?: ConfigRecord
  /** Where the content is: a folder, tarball bytes, or the record's tarball artifact. */
  origin: { dir?: string; tar?: Buffer; tarRef?: string; file?: string }
}

/**
 * Turns what a user names into a config set: a folder, a .tar.gz, a baseline or manifest
 * file, an artifact (a tarball or an export record), or the name of a saved baseline.
 * Relative paths are relative to the project; a path must really lie in the project (not in
 * `.driftcore/`), the site's config folder or `files.read_roots`, symlinks resolved.
 */
export async function loadConfigSource(
  spec: string,
  ctx: SourceContext,
  options: LoadOptions = {},
): Promise<LoadedSource> {
  if (spec.startsWith('artifact://')) return fromBytes(await ctx.artifacts.get(spec), spec, ctx, {}, options)
  const full = await resolveWithin(spec, {
    base: ctx.paths.root,
    what: 'the config source',
    ...readRoots(ctx.paths, ctx.config),
  })
  const info =
    full === undefined
      ? undefined
      : await stat(full).catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return undefined
          throw new DriftcoreError('io', `cannot read ${spec}: ${error.message}`, { cause: error })
        })
  if (full && info?.isDirectory())
    return withDigest(await readDirectory(full, spec, options.only, options.like), { dir: full })
  if (full && info) return fromBytes(await readNoFollow(full), spec, ctx, { file: full }, options)
  if (isBaselineName(spec)) {
    const file = baselineFile(ctx.paths, spec)
    const bytes = await readStateFile(ctx.paths, file)
    if (bytes) return fromBytes(bytes, `baseline ${spec}`, ctx, { file }, options)
  }
  throw new DriftcoreError('not_found', `no config folder, file or baseline named "${spec}"`, {
    hint: 'name a folder of .yml files, a .tar.gz, a manifest/baseline .json, an artifact:// reference, or a baseline saved with `driftcore drift snapshot`',
    details: { source: spec, resolved: path.resolve(ctx.paths.root, spec) },
  })
}

// A saved baseline, read from driftcore's own state without following a symlink: one that is
// a link (or lies beyond one) was not written by driftcore, and is an integrity error.
async function readStateFile(paths: ProjectPaths, file: string): Promise<Buffer | undefined> {
  const home = await ConfinedDir.open(paths.home, { what: 'the .driftcore folder', code: 'integrity' }).catch(
    () => undefined,
  )
  if (!home) return undefined
  return home.readFile(path.relative(paths.home, file)).catch((error: unknown) => {
    if (isDriftcoreError(error, 'not_found')) return undefined
    throw error
  })
}

// The path is real (symlinks resolved): one that has become a link since is not followed.
async function readNoFollow(file: string): Promise<Buffer> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW)
  try {
    return await handle.readFile()
  } finally {
    await handle.close()
  }
}

async function fromBytes(
  bytes: Buffer,
  label: string,
  ctx: SourceContext,
  origin: LoadedSource['origin'],
  options: LoadOptions,
): Promise<LoadedSource> {
  if (isGzip(bytes))
    return withDigest(await readTarball(bytes, label, 'tarball', options.only), { ...origin, tar: bytes })
  let json: unknown
  try {
    json = JSON.parse(bytes.toString('utf8'))
  } catch (error) {
    throw new DriftcoreError(
      'invalid_input',
      `${label} is neither a .tar.gz nor JSON (a manifest or baseline): ${(error as Error).message}`,
      { cause: error },
    )
  }
  const record = configRecordSchema.safeParse(json)
  if (record.success) return fromRecord(record.data, label, ctx, origin, options)
  const bare = z
    .union([z.array(manifestEntrySchema), z.object({ manifest: z.array(manifestEntrySchema) })])
    .safeParse(json)
  if (bare.success) {
    const manifest = Array.isArray(bare.data) ? bare.data : bare.data.manifest
    return withDigest(setFromManifest('manifest', label, manifest), origin)
  }
  throw new DriftcoreError(
    'invalid_input',
    `${label} is JSON but not a config manifest, baseline or export record`,
    {
      details: { issues: record.error.issues.slice(0, 5).map((i) => ({ path: i.path, message: i.message })) },
    },
  )
}

async function fromRecord(
  record: ConfigRecord,
  label: string,
  ctx: SourceContext,
  origin: LoadedSource['origin'],
  options: LoadOptions,
): Promise<LoadedSource> {
  const kind = record.kind === 'driftcore.config-export' ? 'export' : 'baseline'
  if (record.tar) {
    try {
      const set = await readTarball(await ctx.artifacts.get(record.tar), label, kind, options.only)
      const digest = digestOf(manifestOf(set))
      if (!options.only && digest !== record.digest) {
        throw new DriftcoreError(
          'integrity',
          `${label}: its tarball ${record.tar} does not match the recorded digest (${digest} ≠ ${record.digest})`,
        )
      }
      return { set, digest, record, origin: { ...origin, tarRef: record.tar } }
    } catch (error) {
      if (!isDriftcoreError(error, 'not_found')) throw error
      ctx.logger.warn(`${label}: its tarball ${record.tar} is gone; comparing by file hashes only`)
    }
  }
  return { set: setFromManifest(kind, label, record.manifest), digest: record.digest, record, origin }
}

function withDigest(set: ConfigSet, origin: LoadedSource['origin']): LoadedSource {
  return { set, digest: digestOf(manifestOf(set)), origin }
}
