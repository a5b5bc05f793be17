import { DriftcoreError, type InProcessWork, type LockRequest, type ToolContext } from 'driftcore/api'
import { z } from 'zod'
import type { Schemas } from '../api/client.js'
import { repoName, type GiteaSettings } from '../settings/section.js'

/** What every Gitea tool does itself: HTTP to the server (refused under network: none), no files. */
export const apiWork: InProcessWork = { network: 'checked', paths: () => [], bounded: true }

export const READ = ['read', 'network'] as ('read' | 'network')[]
export const WRITE = ['write', 'network'] as ('write' | 'network')[]

export const ownerField = repoName
  .optional()
  .describe('the owner (user or organisation); default gitea.owner')
export const repoField = repoName.describe('the repository name')
export const branchName = z
  .string()
  .min(1)
  .max(200)
  .regex(
    /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[A-Za-z0-9._/-]+(?<!\.lock)(?<![./])$/,
    'a git branch name: letters, digits, "_", ".", "/" and "-", no "..", not ending in .lock',
  )
export const prNumber = z.number().int().positive().describe('the pull request number')
export const sha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'a full commit id (40 or 64 hex digits)')

/** The owner a call means: its own, or gitea.owner. */
export function ownerOf(ctx: Pick<ToolContext, 'config'>, owner: string | undefined): string {
  const fallback = (ctx.config.gitea as GiteaSettings).owner
  const value = owner ?? fallback
  if (!value)
    throw new DriftcoreError('invalid_input', 'no owner given and gitea.owner is not set', {
      hint: 'pass owner, or driftcore config set gitea.owner ORG',
    })
  return value
}

// Keyed by repository name alone: a lock is taken from the input before the handler runs, when
// an owner left to gitea.owner is not known yet, and one call naming the owner and another not
// must still exclude each other. Two owners' repositories of one name share a lock: safe, if coarse.
export const repoLock = (repo: string): LockRequest => ({ key: `gitea:repo:${repo}`, mode: 'exclusive' })
export const branchLock = (repo: string, branch: string): LockRequest => ({
  key: `gitea:branch:${repo}:${branch}`,
  mode: 'exclusive',
})

export const userSchema = z.lazy(() => z.object({ login: z.string(), full_name: z.string().optional() }))

export const pullSchema = z.lazy(() =>
  z.object({
    number: z.number().int(),
    title: z.string(),
    body: z.string(),
    state: z.string(),
    merged: z.boolean(),
    mergeable: z.boolean().optional(),
    html_url: z.string().optional(),
    head: z.object({ ref: z.string(), sha: z.string() }),
    base: z.object({ ref: z.string(), sha: z.string() }),
    user: z.string().optional(),
    additions: z.number().optional(),
    deletions: z.number().optional(),
    changed_files: z.number().optional(),
    merge_commit_sha: z.string().optional(),
    created_at: z.string().optional(),
  }),
)

/** Gitea's PullRequest as the tools return it: what a person or an agent needs, no more. */
export function pullOut(p: Schemas['PullRequest']): z.input<typeof pullSchema> {
  return {
    number: p.number ?? 0,
    title: p.title ?? '',
    body: p.body ?? '',
    state: p.state ?? 'open',
    merged: p.merged ?? false,
    ...(p.mergeable !== undefined ? { mergeable: p.mergeable } : {}),
    ...(p.html_url ? { html_url: p.html_url } : {}),
    head: { ref: p.head?.ref ?? '', sha: p.head?.sha ?? '' },
    base: { ref: p.base?.ref ?? '', sha: p.base?.sha ?? '' },
    ...(p.user?.login ? { user: p.user.login } : {}),
    ...(p.additions !== undefined ? { additions: p.additions } : {}),
    ...(p.deletions !== undefined ? { deletions: p.deletions } : {}),
    ...(p.changed_files !== undefined ? { changed_files: p.changed_files } : {}),
    ...(p.merge_commit_sha ? { merge_commit_sha: p.merge_commit_sha } : {}),
    ...(p.created_at ? { created_at: p.created_at } : {}),
  }
}
