import { DriftcoreError, defineTool } from 'driftcore/api'
import { z } from 'zod'
import { giteaApi } from '../api/client.js'
import {
  apiWork,
  branchName,
  ownerField,
  ownerOf,
  prNumber,
  pullOut,
  pullSchema,
  READ,
  repoField,
  sha,
  WRITE,
} from './common.js'

export const prCreate = defineTool({
  id: 'gitea.prCreate',
  title: 'Open a pull request',
  description: 'Opens a pull request from a branch into another (default: gitea.default_branch).',
  capability: 'gitea.pr',
  risk: WRITE,
  requires: ['network'],
  inProcess: apiWork,
  input: () =>
    z.object({
      owner: ownerField,
      repo: repoField,
      head: branchName.describe('the branch with the changes'),
      base: branchName.optional().describe('the branch to merge into; default gitea.default_branch'),
      title: z.string().min(1).max(255),
      body: z.string().max(65_000).default(''),
    }),
  output: () => pullSchema,
  async run(input, ctx) {
    const api = await giteaApi(ctx)
    const owner = ownerOf(ctx, input.owner)
    const base = input.base ?? api.settings.default_branch
    const p = await api.call(
      `open a pull request from ${input.head} into ${base} in ${owner}/${input.repo}`,
      (init) =>
        api.client.POST('/repos/{owner}/{repo}/pulls', {
          params: { path: { owner, repo: input.repo } },
          body: { head: input.head, base, title: input.title, body: input.body },
          ...init,
        }),
    )
    return pullOut(p)
  },
})

export const prGet = defineTool({
  id: 'gitea.prGet',
  title: 'Read a pull request',
  description: 'Reads one pull request: state, head and base commits, size, mergeability.',
  capability: 'gitea.read',
  risk: READ,
  requires: ['network'],
  inProcess: apiWork,
  input: () => z.object({ owner: ownerField, repo: repoField, number: prNumber }),
  output: () => pullSchema,
  async run(input, ctx) {
    const api = await giteaApi(ctx)
    const owner = ownerOf(ctx, input.owner)
    const p = await api.call(`read pull request #${input.number} of ${owner}/${input.repo}`, (init) =>
      api.client.GET('/repos/{owner}/{repo}/pulls/{index}', {
        params: { path: { owner, repo: input.repo, index: input.number } },
        ...init,
      }),
    )
    return pullOut(p)
  },
})

export const prList = defineTool({
  id: 'gitea.prList',
  title: 'List pull requests',
  description: "Lists a repository's pull requests (open by default).",
  capability: 'gitea.read',
  risk: READ,
  requires: ['network'],
  inProcess: apiWork,
  input: () =>
    z.object({
      owner: ownerField,
      repo: repoField,
      state: z.enum(['open', 'closed', 'all']).default('open'),
      limit: z.number().int().min(1).max(50).default(30),
    }),
  output: () => z.object({ pulls: z.array(pullSchema) }),
  async run(input, ctx) {
    const api = await giteaApi(ctx)
    const owner = ownerOf(ctx, input.owner)
    const list = await api.call(`list the pull requests of ${owner}/${input.repo}`, (init) =>
      api.client.GET('/repos/{owner}/{repo}/pulls', {
        params: { path: { owner, repo: input.repo }, query: { state: input.state, limit: input.limit } },
        ...init,
      }),
    )
    return { pulls: list.map(pullOut) }
  },
})

export const prComment = defineTool({
  id: 'gitea.prComment',
  title: 'Comment on a pull request',
  description: 'Adds a comment to a pull request.',
  capability: 'gitea.pr',
  risk: WRITE,
  requires: ['network'],
  inProcess: apiWork,
  input: () =>
    z.object({
      owner: ownerField,
      repo: repoField,
      number: prNumber,
      body: z.string().min(1).max(65_000),
    }),
  output: () => z.object({ id: z.number(), html_url: z.string().optional() }),
  async run(input, ctx) {
    const api = await giteaApi(ctx)
    const owner = ownerOf(ctx, input.owner)
    const c = await api.call(`comment on pull request #${input.number} of ${owner}/${input.repo}`, (init) =>
      api.client.POST('/repos/{owner}/{repo}/issues/{index}/comments', {
        params: { path: { owner, repo: input.repo, index: input.number } },
        body: { body: input.body },
        ...init,
      }),
    )
    return { id: c.id ?? 0, ...(c.html_url ? { html_url: c.html_url } : {}) }
  },
})

export const prMerge = defineTool({
  id: 'gitea.prMerge',
  title: 'Merge a pull request',
  description:
    'Merges a pull request, only if its head is still the commit named (head_sha): an approval to merge is an approval of that exact commit, so nothing pushed after it is merged with it.',
  capability: 'gitea.merge',
  risk: WRITE,
  requires: ['network'],
  inProcess: apiWork,
  input: () =>
    z.object({
      owner: ownerField,
      repo: repoField,
      number: prNumber,
      head_sha: sha.describe(
        'the head commit that was reviewed; the merge is refused when the pull request moved on',
      ),
      style: z.enum(['merge', 'rebase', 'rebase-merge', 'squash', 'fast-forward-only']).default('merge'),
      message: z.string().max(20_000).optional(),
      delete_branch: z.boolean().default(false),
    }),
  output: () =>
    z.object({ number: z.number(), merged: z.boolean(), merge_commit_sha: z.string().optional() }),
  locks: (input) => [
    { key: `gitea:pr:${input.owner ?? '~'}/${input.repo}#${input.number}`, mode: 'exclusive' },
  ],
  effects: 'marked',
  async run(input, ctx) {
    const api = await giteaApi(ctx)
    const owner = ownerOf(ctx, input.owner)
    const subject = `pull request #${input.number} of ${owner}/${input.repo}`
    const path = { owner, repo: input.repo, index: input.number }
    const before = await api.call(`read ${subject}`, (init) =>
      api.client.GET('/repos/{owner}/{repo}/pulls/{index}', { params: { path }, ...init }),
    )
    if (before.merged)
      throw new DriftcoreError('conflict', `${subject} is merged already`, {
        details: { number: input.number },
      })
    if (before.head?.sha !== input.head_sha) {
      throw new DriftcoreError(
        'conflict',
        `${subject} is at ${before.head?.sha?.slice(0, 12) ?? '?'} now, not at the reviewed ${input.head_sha.slice(0, 12)}: it was not merged`,
        {
          hint: 'review the new commits, then merge with the new head_sha (and a new approval)',
          details: { head: before.head?.sha },
        },
      )
    }
    await ctx.beginEffects()
    await api.call(`merge ${subject}`, (init) =>
      api.client.POST('/repos/{owner}/{repo}/pulls/{index}/merge', {
        params: { path },
        // Gitea checks head_commit_id too, so a push between the read above and the merge is refused there.
        body: {
          do: input.style,
          head_commit_id: input.head_sha,
          ...(input.message ? { merge_message_field: input.message } : {}),
          ...(input.delete_branch ? { delete_branch_after_merge: true } : {}),
        },
        ...init,
      }),
    )
    const after = await api.call(`read ${subject}`, (init) =>
      api.client.GET('/repos/{owner}/{repo}/pulls/{index}', { params: { path }, ...init }),
    )
    return {
      number: input.number,
      merged: after.merged ?? true,
      ...(after.merge_commit_sha ? { merge_commit_sha: after.merge_commit_sha } : {}),
    }
  },
})
