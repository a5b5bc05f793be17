import { defineTool, relativeSegments } from 'driftcore/api'
import { z } from 'zod'
import { giteaApi } from '../api/client.js'
import { apiWork, ownerField, ownerOf, READ, repoField } from './common.js'

export const fileRead = defineTool({
  id: 'gitea.fileRead',
  title: 'Read a file from a repository',
  description:
    'Reads one file at a branch, tag or commit (default: the default branch). Text comes as text, anything else as base64.',
  capability: 'gitea.read',
  risk: READ,
  requires: ['network'],
  inProcess: apiWork,
  input: () =>
    z.object({
      owner: ownerField,
      repo: repoField,
      path: z.string().min(1).max(4096),
      ref: z.string().min(1).max(200).optional(),
    }),
  output: () =>
    z.object({
      path: z.string(),
      sha: z.string(),
      size: z.number(),
      content: z.string().optional(),
      content_base64: z.string().optional(),
    }),
  async run(input, ctx) {
    relativeSegments(input.path, 'the file path')
    const api = await giteaApi(ctx)
    const owner = ownerOf(ctx, input.owner)
    const file = await api.call(`read ${input.path} in ${owner}/${input.repo}`, (init) =>
      api.client.GET('/repos/{owner}/{repo}/contents/{filepath}', {
        params: {
          path: { owner, repo: input.repo, filepath: input.path },
          query: input.ref ? { ref: input.ref } : {},
        },
        ...init,
      }),
    )
    const bytes = Buffer.from(file.content ?? '', 'base64')
    const text = bytes.toString('utf8')
    const isText = !text.includes('\uFFFD') && !text.includes('\0')
    return {
      path: file.path ?? input.path,
      sha: file.sha ?? '',
      size: file.size ?? bytes.length,
      ...(isText ? { content: text } : { content_base64: file.content ?? '' }),
    }
  },
})
