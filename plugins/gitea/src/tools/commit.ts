import { defineTool } from 'driftcore/api'
import { z } from 'zod'
import { giteaApi } from '../api/client.js'
import { commitChanges } from '../git/commit.js'
import { changesFromDir } from '../git/from-dir.js'
import {
  apiWork,
  branchLock,
  branchName,
  ownerField,
  ownerOf,
  repoField,
  repoLock,
  sha,
  WRITE,
} from './common.js'

export const changeSchema = z.lazy(() =>
  z
    .object({
      path: z.string().min(1).max(4096).describe('the file, relative to the repository root'),
      action: z.enum(['create', 'update', 'put', 'delete']).describe('put: create or replace'),
      content: z.string().max(10_000_000).optional().describe('the new text (UTF-8)'),
      content_base64: z.string().max(14_000_000).optional().describe('or the new bytes, base64'),
    })
    .refine((c) => c.action === 'delete' || (c.content === undefined) !== (c.content_base64 === undefined), {
      message: 'create, update and put take exactly one of content and content_base64; delete takes neither',
    })
    .refine((c) => c.action !== 'delete' || (c.content === undefined && c.content_base64 === undefined), {
      message: 'delete takes no content',
    }),
)

export const fileSchema = z.lazy(() =>
  z.object({
    path: z.string(),
    status: z.string(),
    from: z.string().optional(),
    additions: z.number(),
    deletions: z.number(),
    binary: z.boolean(),
  }),
)

export const commitOutput = z.lazy(() =>
  z.object({
    owner: z.string(),
    repo: z.string(),
    branch: z.string(),
    created_branch: z.boolean(),
    parent: z.string(),
    commit: z.string(),
    files: z.array(fileSchema),
    files_changed: z.number(),
    lines_changed: z.number(),
    pushed: z.boolean(),
  }),
)

export const commitInput = () =>
  z
    .object({
      owner: ownerField,
      repo: repoField,
      branch: branchName.describe('the branch to commit to; created from base when it does not exist'),
      base: branchName
        .optional()
        .describe('where a new branch starts (default: the repository’s default branch)'),
      message: z.string().min(1).max(20_000),
      changes: z.array(changeSchema).max(5000).default([]),
      from_dir: z
        .object({
          path: z
            .string()
            .min(1)
            .max(4096)
            .describe(
              'a folder relative to the project root (of .driftcore/ only the sandbox, .driftcore/sandbox/…)',
            ),
          to: z.string().min(1).max(4096).describe('the folder in the repository its files go to'),
        })
        .strict()
        .optional()
        .describe(
          "commit a project folder's files (put) under `to`: read confined, no symlink followed or committed, no `..`, nothing outside the project",
        ),
      expected_head: sha.optional().describe('commit only if the branch is still at this commit'),
    })
    .refine((i) => i.changes.length > 0 || i.from_dir !== undefined, {
      message: 'give changes, from_dir, or both',
    })

export const commit = defineTool({
  id: 'gitea.commit',
  title: 'Commit file changes to a branch',
  description:
    "Commits a set of file changes (create, update, delete) to a branch through real git and pushes it, without force. The actor is the author, driftcore the committer; the message carries the trace and approval ids. from_dir {path, to} commits a project folder's files (of .driftcore/ only the sandbox), read confined: no symlink followed or committed, no '..'. The policy's max_files_changed, max_lines_changed and deny_paths are checked on the computed diff before anything is pushed.",
  capability: 'gitea.commit',
  risk: WRITE,
  requires: ['git', 'network'],
  inProcess: { ...apiWork, changes: true },
  input: commitInput,
  output: () => commitOutput,
  locks: (input) => [repoLock(input.repo), branchLock(input.repo, input.branch)],
  // Its effect is the push: a call that fails before it (over budget, a conflict) keeps its approval.
  effects: 'marked',
  async run(input, ctx) {
    // The folder is read before anything is fetched: a refused path costs no network call.
    const fromDir = input.from_dir ? await changesFromDir(ctx, input.from_dir) : []
    const api = await giteaApi(ctx)
    return commitChanges(ctx, api, {
      ...input,
      changes: [...input.changes, ...fromDir],
      owner: ownerOf(ctx, input.owner),
    })
  },
})
