import { defineTool } from 'driftcore/api'
import { z } from 'zod'
import { giteaApi, type Schemas } from '../api/client.js'
import { apiWork, branchName, ownerField, ownerOf, READ, repoField, WRITE } from './common.js'

const branchSchema = z.lazy(() => z.object({ name: z.string(), commit: z.string(), protected: z.boolean() }))
const branchOut = (b: Schemas['Branch']) => ({
  name: b.name ?? '',
  commit: b.commit?.id ?? '',
  protected: b.protected ?? false,
})

export const branchList = defineTool({
  id: 'gitea.branchList',
  title: 'List branches',
  description: "Lists a repository's branches with their head commits.",
  capability: 'gitea.read',
  risk: READ,
  requires: ['network'],
  inProcess: apiWork,
  input: () =>
    z.object({ owner: ownerField, repo: repoField, limit: z.number().int().min(1).max(50).default(50) }),
  output: () => z.object({ branches: z.array(branchSchema) }),
  async run(input, ctx) {
    const api = await giteaApi(ctx)
    const owner = ownerOf(ctx, input.owner)
    const list = await api.call(`list the branches of ${owner}/${input.repo}`, (init) =>
      api.client.GET('/repos/{owner}/{repo}/branches', {
        params: { path: { owner, repo: input.repo }, query: { limit: input.limit } },
        ...init,
      }),
    )
    return { branches: list.map(branchOut) }
  },
})

export const branchCreate = defineTool({
  id: 'gitea.branchCreate',
  title: 'Create a branch',
  description: 'Creates a branch from another branch (default: the repository’s default branch).',
  capability: 'gitea.write',
  risk: WRITE,
  requires: ['network'],
  inProcess: apiWork,
  input: () =>
    z.object({ owner: ownerField, repo: repoField, branch: branchName, from: branchName.optional() }),
  output: () => branchSchema,
  async run(input, ctx) {
    const api = await giteaApi(ctx)
    const owner = ownerOf(ctx, input.owner)
    const b = await api.call(`create the branch ${input.branch} in ${owner}/${input.repo}`, (init) =>
      api.client.POST('/repos/{owner}/{repo}/branches', {
        params: { path: { owner, repo: input.repo } },
        body: { new_branch_name: input.branch, ...(input.from ? { old_branch_name: input.from } : {}) },
        ...init,
      }),
    )
    return branchOut(b)
  },
})
