import { defineTool, type LockRequest, type ToolDefinition } from 'driftcore/api'
import { z } from 'zod'
import { boundedSiteWork, initWork, siteWork } from '../paths/in-process.js'
import { applyChange } from './apply.js'
import { changesSince, diffSince } from './changes.js'
import { readMarker, requireSandbox, sandboxLayout } from './layout.js'
import { readManifest, requireManifest, summariseSnapshot } from './manifest.js'
import { runInSandbox } from './run.js'
import { resetSandbox } from './reset.js'
import { checkInit, initSandbox, takeSnapshot } from './snapshot.js'
import { hashTree } from './tree.js'

/** One sandbox per project: whatever changes it holds this lock, whatever only looks shares it. */
export const SANDBOX_LOCK = 'sandbox'
export const exclusive = (): LockRequest[] => [{ key: SANDBOX_LOCK, mode: 'exclusive' }]
export const shared = (): LockRequest[] => [{ key: SANDBOX_LOCK, mode: 'shared' }]

const snapshotSummary = z.lazy(() =>
  z.object({
    commit: z.string(),
    tree_hash: z.string(),
    files: z.number(),
    bytes: z.number(),
    created_at: z.string(),
  }),
)

const changeSchema = z.lazy(() =>
  z.object({
    path: z.string(),
    status: z.enum(['added', 'modified', 'deleted', 'type_changed']),
  }),
)

const init = defineTool({
  id: 'sandbox.init',
  title: 'Create the sandbox',
  description:
    'Creates the sandbox: copies a Drupal site (without .git folders) into sandbox.path, or adopts the folder there, and starts a git working copy for it whose data lives outside the site. Take a snapshot next.',
  capability: 'sandbox.write',
  risk: ['write'],
  requires: ['git', 'bwrap'],
  inProcess: initWork,
  input: () =>
    z.object({
      from: z
        .string()
        .min(1)
        .optional()
        .describe('the site to copy, relative to the project; omit to adopt sandbox.path as it is'),
    }),
  output: () =>
    z.object({
      path: z.string(),
      from: z.string().nullable(),
      files: z.number(),
      created_at: z.string(),
    }),
  locks: exclusive,
  // An init that cannot work (a sandbox already there, --from overlapping it) asks nobody.
  async precheck(input, env) {
    env.launcher.resolve('git')
    await checkInit(env, sandboxLayout(env.paths, env.config), input.from)
  },
  effects: 'marked',
  async run(input, ctx) {
    return initSandbox(ctx, sandboxLayout(ctx.paths, ctx.config), input.from)
  },
})

const snapshot = defineTool({
  id: 'sandbox.snapshot',
  title: 'Snapshot the sandbox',
  description:
    'Records the sandbox as it is now (tracked, untracked and ignored files, symlinks, empty folders, permission bits) with its tree hash. sandbox.reset returns to it.',
  capability: 'sandbox.write',
  risk: ['write'],
  requires: ['git', 'bwrap'],
  inProcess: siteWork,
  input: () => z.object({}),
  output: () => snapshotSummary,
  locks: exclusive,
  verdict: (s) => ({ ok: true, summary: `snapshot ${s.commit.slice(0, 12)}: ${s.files} files` }),
  async run(_input, ctx) {
    return summariseSnapshot(await takeSnapshot(ctx, sandboxLayout(ctx.paths, ctx.config)))
  },
})

const reset = defineTool({
  id: 'sandbox.reset',
  title: 'Reset the sandbox to its snapshot',
  description:
    'Puts the sandbox back exactly as the snapshot recorded it: only what changed since (found by a stat pass) is rewritten and read back. With verify, trusts no cache and recomputes the tree hash over every file. An error if there is no snapshot or the result does not match it.',
  capability: 'sandbox.write',
  risk: ['write'],
  idempotent: true,
  requires: ['git', 'bwrap'],
  inProcess: siteWork,
  input: () =>
    z.object({
      verify: z
        .boolean()
        .default(false)
        .describe("trust no cache: rebuild git's index and recompute the tree hash (reads every file)"),
    }),
  output: () =>
    z.object({
      commit: z.string(),
      tree_hash: z.string(),
      was_clean: z.boolean(),
      files: z.number(),
      proof: z.enum(['stat', 'hash']),
    }),
  locks: exclusive,
  verdict: (r) => ({
    ok: true,
    summary: `the sandbox is back at snapshot ${r.commit.slice(0, 12)} (${r.files} files${r.was_clean ? ', it had not changed' : ''})`,
  }),
  async run(input, ctx) {
    return resetSandbox(ctx, sandboxLayout(ctx.paths, ctx.config), { verify: input.verify })
  },
})

const status = defineTool({
  id: 'sandbox.status',
  title: 'Sandbox status',
  description:
    'Whether the sandbox exists, its snapshot, and every file changed since (ignored files included). With verify, also recomputes the tree hash.',
  capability: 'sandbox.read',
  risk: ['read'],
  requires: ['git'],
  inProcess: siteWork,
  input: () =>
    z.object({
      verify: z.boolean().default(false).describe('recompute the tree hash (reads every file)'),
    }),
  output: () =>
    z.object({
      path: z.string(),
      initialised: z.boolean(),
      snapshot: snapshotSummary.nullable(),
      changes: z.array(changeSchema).nullable(),
      tree_hash: z.string().optional(),
      matches_snapshot: z.boolean().optional(),
    }),
  locks: shared,
  async run(input, ctx) {
    const layout = sandboxLayout(ctx.paths, ctx.config)
    const initialised = (await readMarker(layout)) !== undefined
    const manifest = initialised ? await readManifest(layout) : undefined
    const tree = initialised && input.verify ? await hashTree(layout.site) : undefined
    return {
      path: layout.site,
      initialised,
      snapshot: manifest ? summariseSnapshot(manifest) : null,
      changes: manifest ? await changesSince(ctx, layout, manifest) : null,
      ...(tree ? { tree_hash: tree.hash, matches_snapshot: tree.hash === manifest?.hash } : {}),
    }
  },
})

const diff = defineTool({
  id: 'sandbox.diff',
  title: 'Sandbox diff',
  description: 'The change since the snapshot as a unified diff, with the list of changed files.',
  capability: 'sandbox.read',
  risk: ['read'],
  requires: ['git'],
  inProcess: siteWork,
  input: () => z.object({}),
  output: () => z.object({ changes: z.array(changeSchema), patch: z.string() }),
  locks: shared,
  async run(_input, ctx) {
    const layout = sandboxLayout(ctx.paths, ctx.config)
    await requireSandbox(layout)
    const manifest = await requireManifest(layout)
    return {
      changes: await changesSince(ctx, layout, manifest),
      patch: await diffSince(ctx, layout, manifest),
    }
  },
})

const apply = defineTool({
  id: 'sandbox.apply',
  title: 'Apply a change in the sandbox',
  description:
    'Writes or deletes files and/or applies a unified diff inside the custom-modules folder of the sandbox (paths relative to scaffold.modules_dir). All paths are checked before anything is written.',
  capability: 'sandbox.write',
  risk: ['write'],
  requires: ['git'],
  inProcess: boundedSiteWork,
  input: () =>
    z
      .object({
        files: z
          .array(
            z
              .object({
                path: z
                  .string()
                  .min(1)
                  .describe('relative to the custom-modules folder, e.g. my_module/src/Foo.php'),
                content: z.string().optional(),
                delete: z.boolean().optional(),
                executable: z.boolean().optional(),
              })
              .refine(
                (f) => (f.content !== undefined) !== (f.delete === true),
                'give either content or delete: true',
              ),
          )
          .default([]),
        patch: z
          .string()
          .min(1)
          .optional()
          .describe('a unified diff whose paths are relative to the custom-modules folder'),
      })
      .refine((c) => c.files.length > 0 || c.patch !== undefined, 'give files, a patch, or both'),
  output: () =>
    z.object({
      written: z.array(z.string()),
      deleted: z.array(z.string()),
      patched: z.array(z.string()),
    }),
  locks: exclusive,
  verdict: (r) => ({
    ok: true,
    summary: `changed in the sandbox: ${
      [
        r.written.length > 0 ? `${r.written.length} written (${r.written.slice(0, 10).join(', ')})` : '',
        r.patched.length > 0 ? `${r.patched.length} patched (${r.patched.slice(0, 10).join(', ')})` : '',
        r.deleted.length > 0 ? `${r.deleted.length} deleted (${r.deleted.slice(0, 10).join(', ')})` : '',
      ]
        .filter(Boolean)
        .join(', ') || 'nothing'
    }`,
  }),
  async run(input, ctx) {
    return applyChange(ctx, sandboxLayout(ctx.paths, ctx.config), input)
  },
})

const exec = defineTool({
  id: 'sandbox.exec',
  title: 'Run a command in the sandbox',
  description:
    'Runs an allowlisted program in the sandbox: no network, the filesystem read-only except the site, CPU, memory and wall-clock limits. The full log is kept as an artifact.',
  capability: 'sandbox.exec',
  risk: ['exec', 'write'],
  requires: ['bwrap'],
  inProcess: boundedSiteWork,
  input: () =>
    z.object({
      command: z
        .string()
        .min(1)
        .describe('a program on launcher.allowlist; a relative path is a program in the site'),
      args: z.array(z.string()).default([]),
      cwd: z.string().min(1).optional().describe('a folder in the site to run in'),
      timeout_ms: z.number().int().positive().optional(),
    }),
  output: () =>
    z.object({
      command: z.array(z.string()),
      exit_code: z.number().nullable(),
      signal: z.string().nullable(),
      timed_out: z.boolean(),
      duration_ms: z.number(),
      stdout: z.string(),
      stderr: z.string(),
      output_tail: z.string(),
      log: z.string(),
    }),
  locks: exclusive,
  async run(input, ctx) {
    const layout = sandboxLayout(ctx.paths, ctx.config)
    await requireSandbox(layout)
    const { launch, ...result } = await runInSandbox(ctx, layout, {
      command: input.command,
      args: input.args,
      ...(input.cwd ? { cwd: input.cwd } : {}),
      ...(input.timeout_ms ? { timeoutMs: input.timeout_ms } : {}),
      logName: 'sandbox-exec.log',
    })
    return { ...result, stdout: launch.stdout, stderr: launch.stderr }
  },
})

export const sandboxTools: ToolDefinition[] = [init, snapshot, reset, status, diff, apply, exec]
