import { DriftcoreError, defineTool, yamlLib } from 'driftcore/api'
import { z } from 'zod'
import { giteaApi } from '../api/client.js'
import { commitChanges } from '../git/commit.js'
import type { GiteaSettings } from '../settings/section.js'
import { repoName } from '../settings/section.js'
import { apiWork, branchLock, branchName, pullOut, pullSchema, repoLock, WRITE } from './common.js'
import { changeSchema, commitOutput } from './commit.js'

const MANIFEST = /\.(ya?ml|json)$/i

/**
 * The GitOps rule as a tool: a cluster changes through git. It commits manifest changes to the
 * infrastructure repository on a new branch and opens a pull request; whatever syncs the
 * cluster (Argo CD, Flux, a Tekton pipeline) applies them once a person merges it. It never
 * talks to a cluster itself.
 */
export const propose = defineTool({
  id: 'gitops.propose',
  title: 'Propose an infrastructure change as a pull request',
  description:
    'Commits Kubernetes manifest changes (YAML or JSON, each document with apiVersion and kind) to the infrastructure repository (gitea.gitops) on a new branch and opens a pull request. The cluster changes only when that pull request is merged.',
  capability: 'gitops.propose',
  risk: WRITE,
  requires: ['git', 'network'],
  inProcess: { ...apiWork, changes: true },
  input: () =>
    z.object({
      owner: repoName.optional().describe('default gitea.gitops.owner, then gitea.owner'),
      repo: repoName.optional().describe('default gitea.gitops.repo'),
      base: branchName
        .optional()
        .describe('the branch the cluster follows; default gitea.gitops.base, then gitea.default_branch'),
      branch: branchName
        .optional()
        .describe('default gitea.gitops.branch_prefix + a name made from the title'),
      title: z.string().min(1).max(255),
      body: z.string().max(65_000).default(''),
      changes: z.array(changeSchema).min(1).max(500),
    }),
  output: () => z.object({ commit: commitOutput, pull: pullSchema }),
  locks: (input) => [
    { key: 'gitops:propose', mode: 'exclusive' },
    ...(input.repo ? [repoLock(input.repo)] : []),
    ...(input.repo && input.branch ? [branchLock(input.repo, input.branch)] : []),
  ],
  effects: 'marked',
  async run(input, ctx) {
    const settings = ctx.config.gitea as GiteaSettings
    const owner = input.owner ?? settings.gitops.owner ?? settings.owner
    const repo = input.repo ?? settings.gitops.repo
    if (!owner || !repo)
      throw new DriftcoreError(
        'invalid_input',
        'no infrastructure repository: set gitea.gitops.repo (and owner) or pass them',
        {
          hint: 'driftcore config set gitea.gitops.repo infra',
        },
      )
    for (const change of input.changes) checkManifest(change)
    const base = input.base ?? settings.gitops.base ?? settings.default_branch
    const branch =
      input.branch ?? `${settings.gitops.branch_prefix}${slug(input.title)}-${ctx.traceId.slice(0, 8)}`
    const api = await giteaApi(ctx)
    const commit = await commitChanges(ctx, api, {
      owner,
      repo,
      branch,
      base,
      message: input.title,
      changes: input.changes,
    })
    const body = `${input.body}\n\n---\nProposed through driftcore (trace ${ctx.traceId}${ctx.approval ? `, approval ${ctx.approval.id}` : ''}). The cluster changes when this is merged.`
    const pr = await api.call(`open a pull request from ${branch} into ${base} in ${owner}/${repo}`, (init) =>
      api.client.POST('/repos/{owner}/{repo}/pulls', {
        params: { path: { owner, repo } },
        body: { head: branch, base, title: input.title, body: body.trim() },
        ...init,
      }),
    )
    return { commit, pull: pullOut(pr) }
  },
})

function checkManifest(change: z.output<typeof changeSchema>): void {
  if (!MANIFEST.test(change.path))
    throw new DriftcoreError('invalid_input', `${change.path} is not a manifest (.yaml, .yml or .json)`, {
      hint: 'gitops.propose changes manifests only; commit other files with gitea.commit',
      details: { path: change.path },
    })
  if (change.action === 'delete') return
  const text = change.content ?? Buffer.from(change.content_base64 ?? '', 'base64').toString('utf8')
  const docs = yamlLib().parseAllDocuments(text)
  for (const [i, doc] of (Array.isArray(docs) ? docs : [docs]).entries()) {
    if (doc.errors.length > 0)
      throw new DriftcoreError(
        'invalid_input',
        `${change.path} (document ${i + 1}) is not valid YAML: ${doc.errors[0]!.message}`,
        {
          details: { path: change.path },
        },
      )
    const value = doc.toJS({ maxAliasCount: 100 }) as unknown
    if (value === null || value === undefined) continue
    const ok = typeof value === 'object' && 'apiVersion' in value && 'kind' in value
    if (!ok)
      throw new DriftcoreError(
        'invalid_input',
        `${change.path} (document ${i + 1}) is not a Kubernetes object: it has no apiVersion and kind`,
        {
          details: { path: change.path },
        },
      )
  }
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40)
      .replace(/-+$/, '') || 'change'
  )
}
