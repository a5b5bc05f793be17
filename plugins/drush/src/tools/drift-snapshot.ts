import path from 'node:path'
import { z } from 'zod'
import { DriftcoreError, defineTool } from 'driftcore/api'
import { tarballOf, writeBaseline } from '../configset/baselines.js'
import { loadConfigSource } from '../configset/sources.js'
import { baselineFile, isBaselineName } from '../state/paths.js'
import { sourceSpec, specPaths } from './common.js'

export const driftSnapshot = defineTool({
  id: 'drift.snapshot',
  title: 'Save a drift baseline',
  description:
    'Saves a config export as a named baseline under .driftcore/drift/baselines/: its manifest ({file, sha256, size}), the digest over it, and a tarball of the content. A baseline it replaces is kept as an artifact.',
  capability: 'drift.read',
  risk: ['read'],
  inProcess: { paths: (input, env) => specPaths(env, [input.source]) },
  input: () =>
    z.object({
      source: sourceSpec.describe('the export to save: a folder, a .tar.gz, an export record or artifact'),
      name: z
        .string()
        .default('main')
        .refine(isBaselineName, 'a baseline name is letters, digits, ., _ and - (up to 64)'),
    }),
  output: () =>
    z.object({
      name: z.string(),
      file: z.string(),
      digest: z.string(),
      files: z.number(),
      bytes: z.number(),
      tar: z.string().nullable(),
      previous: z.string().nullable(),
      created_at: z.string(),
    }),
  locks: (input) => [{ key: `drift:baseline:${input.name}`, mode: 'exclusive' }],
  async run(input, ctx) {
    const loaded = await loadConfigSource(input.source, ctx)
    if (loaded.set.objects.size === 0) {
      throw new DriftcoreError('invalid_input', `${input.source} holds no config objects (*.yml)`)
    }
    if (loaded.set.manifestOnly)
      ctx.logger.warn(`${input.source} has no content: the baseline keeps hashes only`)
    const file = baselineFile(ctx.paths, input.name)
    const record = await writeBaseline(file, loaded.set, await tarballOf(loaded, ctx), input.name, ctx, {
      within: [ctx.paths.home],
      code: 'integrity',
    })
    return {
      name: input.name,
      file: path.relative(ctx.paths.root, file),
      digest: record.digest,
      files: record.files,
      bytes: record.bytes,
      tar: record.tar,
      previous: record.previous ?? null,
      created_at: record.created_at,
    }
  },
})
