import { defineTool } from 'driftcore/api'
import { z } from 'zod'
import { giteaApi, type Schemas } from '../api/client.js'
import { apiWork, ownerField, ownerOf, READ, repoField, WRITE } from './common.js'
import { repoName } from '../settings/section.js'

const repoSchema = z.lazy(() =>
  z.object({
    owner: z.string(),
    name: z.string(),
    full_name: z.string(),
    default_branch: z.string(),
    private: z.boolean(),
    archived: z.boolean(),
    html_url: z.string().optional(),
    clone_url: z.string().optional(),
  }),
)

function repoOut(r: Schemas['Repository']): z.input<typeof repoSchema> {
  return {
    owner: r.owner?.login ?? '',
    name: r.name ?? '',
    full_name: r.full_name ?? '',
    default_branch: r.default_branch ?? '',
    private: r.private ?? false,
    archived: r.archived ?? false,
    ...(r.html_url ? { html_url: r.html_url } : {}),
    ...(r.clone_url ? { clone_url: r.clone_url } : {}),
  }
}

export const repoGet = defineTool({
  id: 'gitea.repoGet',
  title: 'Read a Gitea repository',
  description: 'Reads a repository: its default branch, visibility and URLs.',
  capability: 'gitea.read',
  risk: READ,
  requires: ['network'],
  inProcess: apiWork,
  input: () => z.object({ owner: ownerField, repo: repoField }),
  output: () => repoSchema,
  async run(input, ctx) {
    const api = await giteaApi(ctx)
    const owner = ownerOf(ctx, input.owner)
    const r = await api.call(`read ${owner}/${input.repo}`, (init) =>
      api.client.GET('/repos/{owner}/{repo}', { params: { path: { owner, repo: input.repo } }, ...init }),
    )
    return repoOut(r)
  },
})

export const repoCreate = defineTool({
  id: 'gitea.repoCreate',
  title: 'Create a Gitea repository',
  description:
    "Creates a repository for the token's user, or in an organisation when `org` is given, optionally with a first commit (a README).",
  capability: 'gitea.write',
  risk: WRITE,
  requires: ['network'],
  inProcess: apiWork,
  input: () =>
    z.object({
      name: repoName,
      org: repoName.optional().describe('create it in this organisation instead of for the token’s user'),
      description: z.string().max(2000).optional(),
      private: z.boolean().default(true),
      default_branch: z.string().min(1).max(200).optional(),
      auto_init: z.boolean().default(true).describe('make a first commit with a README'),
    }),
  output: () => repoSchema,
  async run(input, ctx) {
    const api = await giteaApi(ctx)
    const body: Schemas['CreateRepoOption'] = {
      name: input.name,
      private: input.private,
      auto_init: input.auto_init,
      ...(input.description ? { description: input.description } : {}),
      ...(input.default_branch ? { default_branch: input.default_branch } : {}),
    }
    const r = input.org
      ? await api.call(`create ${input.org}/${input.name}`, (init) =>
          api.client.POST('/orgs/{org}/repos', { params: { path: { org: input.org! } }, body, ...init }),
        )
      : await api.call(`create the repository ${input.name}`, (init) =>
          api.client.POST('/user/repos', { body, ...init }),
        )
    return repoOut(r)
  },
})
