import { DriftcoreError, defineTool } from 'driftcore/api'
import { z } from 'zod'
import { giteaApi } from '../api/client.js'
import { apiWork, ownerField, ownerOf, prNumber, READ, repoField } from './common.js'

export const status = defineTool({
  id: 'gitea.status',
  title: 'Read commit status (checks)',
  description:
    'The combined status of a commit — the checks a pull request shows — by ref or by pull request number (its head).',
  capability: 'gitea.read',
  risk: READ,
  requires: ['network'],
  inProcess: apiWork,
  input: () =>
    z.object({
      owner: ownerField,
      repo: repoField,
      ref: z.string().min(1).max(200).optional().describe('a branch, tag or commit'),
      number: prNumber.optional().describe('or a pull request: its head commit'),
    }),
  output: () =>
    z.object({
      sha: z.string(),
      state: z.string(),
      total_count: z.number(),
      statuses: z.array(
        z.object({ context: z.string(), state: z.string(), description: z.string(), target_url: z.string() }),
      ),
    }),
  verdict: (out) => ({ ok: out.state === 'success', summary: `checks ${out.state} (${out.total_count})` }),
  async run(input, ctx) {
    if ((input.ref === undefined) === (input.number === undefined))
      throw new DriftcoreError('invalid_input', 'give exactly one of ref and number', {
        hint: 'e.g. {"repo": "site", "number": 3}',
      })
    const api = await giteaApi(ctx)
    const owner = ownerOf(ctx, input.owner)
    let ref = input.ref
    if (input.number !== undefined) {
      const pr = await api.call(`read pull request #${input.number} of ${owner}/${input.repo}`, (init) =>
        api.client.GET('/repos/{owner}/{repo}/pulls/{index}', {
          params: { path: { owner, repo: input.repo, index: input.number! } },
          ...init,
        }),
      )
      ref = pr.head?.sha ?? ''
    }
    const s = await api.call(`read the status of ${ref} in ${owner}/${input.repo}`, (init) =>
      api.client.GET('/repos/{owner}/{repo}/commits/{ref}/status', {
        params: { path: { owner, repo: input.repo, ref: ref! } },
        ...init,
      }),
    )
    return {
      sha: s.sha ?? '',
      state: s.state ?? 'pending',
      total_count: s.total_count ?? 0,
      statuses: (s.statuses ?? []).map((x) => ({
        context: x.context ?? '',
        state: x.status ?? '',
        description: x.description ?? '',
        target_url: x.target_url ?? '',
      })),
    }
  },
})

export const diff = defineTool({
  id: 'gitea.diff',
  title: 'The diff of a pull request',
  description: 'The unified diff of a pull request, as Gitea computes it.',
  capability: 'gitea.read',
  risk: READ,
  requires: ['network'],
  inProcess: apiWork,
  input: () => z.object({ owner: ownerField, repo: repoField, number: prNumber }),
  output: () => z.object({ number: z.number(), diff: z.string(), files: z.array(z.string()) }),
  async run(input, ctx) {
    const api = await giteaApi(ctx)
    const owner = ownerOf(ctx, input.owner)
    const text = await api.call(
      `read the diff of pull request #${input.number} of ${owner}/${input.repo}`,
      (init) =>
        api.client.GET('/repos/{owner}/{repo}/pulls/{index}.{diffType}', {
          params: { path: { owner, repo: input.repo, index: input.number, diffType: 'diff' } },
          parseAs: 'text',
          ...init,
        }),
    )
    const diffText = String(text)
    const files = [...diffText.matchAll(/^diff --git a\/(.+?) b\/(.+)$/gm)].map((m) => m[2]!)
    return { number: input.number, diff: diffText, files }
  },
})
