import { z } from 'zod'
import { ConfinedDir, DriftcoreError, defineTool, type StagedFile, type ToolContext } from 'driftcore/api'
import { packSet, writeBaseline } from '../configset/baselines.js'
import { digestOf, manifestOf, setOf, type ConfigFile } from '../configset/config-set.js'
import { packDirectory } from '../configset/tarball.js'
import { writeRoots } from '../configset/roots.js'
import { loadConfigSource, type LoadedSource } from '../configset/sources.js'
import { baselineFile, isBaselineName } from '../state/paths.js'
import { DependencyReader } from '../drift/dependencies.js'
import { acceptPreview } from '../drift/preview.js'
import { maxYamlBytes } from '../settings/sections.js'
import { yamlReader } from '../yaml/read.js'
import { nameList, sourceSpec, specPaths } from './common.js'

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
  idempotent: true,
  inProcess: { paths: (input, env) => specPaths(env, [input.baseline, input.current]) },
  input: () =>
    z.object({
      baseline: sourceSpec.describe('the baseline to update: a config folder or a saved baseline'),
      current: sourceSpec.describe("the site's current export"),
      objects: z.array(z.string().min(1)).min(1).describe('the config objects to accept'),
    }),
  output: () =>
    z.object({
      baseline: z.string(),
      written: z.array(z.string()),
      deleted: z.array(z.string()),
      previous: z.string().describe("an artifact holding the baseline's state before"),
      digest: z.string().describe("the baseline's digest after"),
    }),
  locks: (input) => [{ key: `drift:baseline:${input.baseline}`, mode: 'exclusive' }],
  preview: (input, env) => acceptPreview(input, env),
  verdict: (out) => ({
    ok: true,
    summary: `accepted into ${out.baseline}: ${
      [
        out.written.length > 0 ? `${out.written.length} written (${nameList(out.written)})` : '',
        out.deleted.length > 0 ? `${out.deleted.length} deleted (${nameList(out.deleted)})` : '',
      ]
        .filter(Boolean)
        .join(', ') || 'nothing'
    }`,
  }),
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
    await refuseBrokenDependencies(baseline, current, changes, ctx)
    if (baseline.set.kind === 'directory' && baseline.origin.dir) {
      // The folder must really lie in the project or the site's config folder, never in
      // .driftcore/; below it, nothing is written through a symlink.
      const folder = await ConfinedDir.open(baseline.origin.dir, {
        what: `the baseline ${input.baseline}`,
        ...writeRoots(ctx.paths, ctx.config),
      })
      const previous = await acceptIntoFolder(folder, baseline, changes, ctx)
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
      // A saved baseline by name lives in driftcore's own state; one named by path must lie
      // where drift.accept may write.
      const byName =
        isBaselineName(input.baseline) && baseline.origin.file === baselineFile(ctx.paths, input.baseline)
      const record = await writeBaseline(
        baseline.origin.file,
        merged,
        tar.uri,
        baseline.record.name ?? 'main',
        ctx,
        byName ? { within: [ctx.paths.home], code: 'integrity' } : writeRoots(ctx.paths, ctx.config),
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

/**
 * Writes the accepted objects into a config folder, after keeping the folder's state as an
 * artifact. All or nothing: every new file is written to a temporary file beside its target
 * first (a full disk or an unwritable folder fails here, before anything changed); only then
 * do renames and deletions put them in place, and an error among those puts back what was
 * already changed. The folder itself stays in place (it may be a bind mount or under git).
 * Every step goes through the confined folder: a symlink on the way is refused, never followed.
 */
async function acceptIntoFolder(
  folder: ConfinedDir,
  baseline: LoadedSource,
  changes: readonly Change[],
  ctx: Pick<ToolContext, 'artifacts'>,
): Promise<string> {
  const before = await packDirectory(
    folder.real,
    [...baseline.set.objects.values()].map((f) => f.file),
  )
  const previous = await ctx.artifacts.put(before, {
    name: 'baseline-before-accept.tar.gz',
    mediaType: 'application/gzip',
    retention: 'audit',
  })
  await applyAll(folder, changes)
  return previous.uri
}

interface Step {
  target: string
  /** The staged new content, or none for a deletion. */
  staged?: StagedFile
  /** What the target held before, to put back if a later step fails. */
  was?: Buffer
}

async function applyAll(folder: ConfinedDir, changes: readonly Change[]): Promise<void> {
  const steps: Step[] = []
  const madeFolders: string[] = []
  const cleanUp = async () => {
    await Promise.all(steps.flatMap((s) => (s.staged ? [s.staged.discard()] : [])))
    for (const made of madeFolders.reverse()) await folder.remove(made, { recursive: true, force: true })
  }
  let current = ''
  try {
    // Checked first, so a link on the way stops the accept before anything is staged.
    for (const c of changes) {
      for (const file of [c.was?.file, c.now?.file]) {
        if (!file) continue
        current = file
        await folder.kind(file)
      }
    }
    for (const c of changes) {
      if (c.was && (!c.now || c.was.file !== c.now.file))
        steps.push({ target: c.was.file, was: c.was.bytes! })
      if (c.now) {
        current = c.now.file
        const step: Step = { target: current, ...(c.was?.file === c.now.file ? { was: c.was.bytes! } : {}) }
        steps.push(step)
        const parent = current.split('/').slice(0, -1).join('/')
        if (parent) {
          const made = await folder.mkdir(parent)
          if (made) madeFolders.push(made.slice(folder.real.length + 1))
        }
        step.staged = await folder.stage(current, c.now.bytes!)
      }
    }
  } catch (error) {
    await cleanUp()
    if (leadsOut(error)) throw error
    throw acceptFailed(folder.real, current, 'writing', error)
  }
  const done: Step[] = []
  try {
    for (const step of steps) {
      current = step.target
      if (step.staged) await step.staged.commit()
      else await folder.remove(step.target, { force: true })
      done.push(step)
    }
  } catch (error) {
    for (const step of done.reverse()) {
      if (step.was) await folder.writeFile(step.target, step.was)
      else await folder.remove(step.target, { force: true })
    }
    await cleanUp()
    if (leadsOut(error)) throw error
    throw acceptFailed(folder.real, current, 'replacing', error)
  }
}

// A refusal to follow a link or leave the folder is reported as itself, not as a failed write.
function leadsOut(error: unknown): boolean {
  return (
    error instanceof DriftcoreError &&
    (error.details.symlink === true || error.code === 'forbidden' || error.code === 'integrity')
  )
}

function acceptFailed(dir: string, file: string, doing: string, error: unknown): DriftcoreError {
  const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message
  return new DriftcoreError('io', `nothing was accepted: ${doing} ${file} in ${dir} failed (${reason})`, {
    hint: 'the config folder is as it was; fix the file or folder named and accept again',
    details: { file, folder: dir },
    cause: error,
  })
}

/**
 * Accepting must leave a baseline Drupal would import: every accepted object's
 * dependencies.config in it, and nothing left in it needing an object whose deletion is
 * accepted. Otherwise nothing is written, and the error names what to accept as well.
 */
async function refuseBrokenDependencies(
  baseline: LoadedSource,
  current: LoadedSource,
  changes: readonly Change[],
  ctx: ToolContext,
): Promise<void> {
  const parse = await yamlReader(maxYamlBytes(ctx.config))
  const site = new DependencyReader(current.set, parse)
  const base = new DependencyReader(baseline.set, parse)
  const after = new Set(baseline.set.objects.keys())
  for (const c of changes) {
    if (c.now) after.add(c.name)
    else after.delete(c.name)
  }
  const problems: string[] = []
  for (const c of changes) {
    if (c.now) {
      for (const dep of site.needs(c.name).config)
        if (!after.has(dep)) problems.push(`${c.name} needs ${dep}, which the baseline would not have`)
    } else {
      for (const dependent of base.dependents(c.name))
        if (after.has(dependent)) problems.push(`${dependent} needs ${c.name}, which would be deleted`)
    }
  }
  if (problems.length > 0) {
    throw new DriftcoreError(
      'invalid_input',
      `accepting these objects would break the baseline: ${problems.join('; ')}`,
      {
        hint: 'accept what they need as well (drift check plans it), or leave them out',
        details: { problems },
      },
    )
  }
}
