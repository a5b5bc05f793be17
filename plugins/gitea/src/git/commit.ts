import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { ConfinedDir, DriftcoreError, relativeSegments, type ToolContext } from 'driftcore/api'
import type { GiteaApi } from '../api/client.js'
import { checkBudget, linesOf, parseDiff, type ChangedFile } from './budget.js'
import { git, gitFailed, gitOk, type GitAuth } from './run.js'

export interface FileChange {
  path: string
  action: 'create' | 'update' | 'put' | 'delete'
  content?: string | undefined
  content_base64?: string | undefined
}

export interface CommitRequest {
  owner: string
  repo: string
  branch: string
  /** Where a new branch starts; default the repository's default branch. */
  base?: string | undefined
  message: string
  changes: FileChange[]
  /** The head the caller saw: when the branch is elsewhere now, nothing is committed (conflict). */
  expected_head?: string | undefined
}

export interface CommitResult {
  owner: string
  repo: string
  branch: string
  created_branch: boolean
  parent: string
  commit: string
  files: ChangedFile[]
  files_changed: number
  lines_changed: number
  pushed: boolean
}

/** The working copy for a repository: one per server, owner and name, under .driftcore/gitea/work/. */
export function workingCopy(
  ctx: Pick<ToolContext, 'paths'>,
  server: string,
  owner: string,
  repo: string,
): string {
  const host = new URL(server).host.replace(/[^A-Za-z0-9.-]/g, '_')
  return path.join(ctx.paths.home, 'gitea', 'work', host, owner, repo)
}

/**
 * Commits a set of file changes to a branch through real git: fetch into driftcore's working
 * copy, apply the changes (confined: no write through a symlink or out with `..`), compute the
 * diff and hold it to the call's budgets, commit with the actor as author and driftcore as
 * committer (trace and approval ids as trailers), and push without force. A push the server
 * refuses (the branch moved) changes nothing there: it is a conflict, with the fix.
 */
export async function commitChanges(
  ctx: ToolContext,
  api: GiteaApi,
  request: CommitRequest,
): Promise<CommitResult> {
  const { owner, repo, branch } = request
  const settings = api.settings
  const timeoutMs = settings.timeout_ms
  const dir = workingCopy(ctx, api.server, owner, repo)
  const auth: GitAuth = { tokenRef: settings.token!, username: await username(api) }
  const local = { cwd: dir, local: true, timeoutMs }
  await mkdir(dir, { recursive: true })
  await gitOk(ctx, ['init', '--quiet'], local)
  const remote = `${api.server}/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}.git`
  await git(ctx, ['remote', 'remove', 'origin'], local)
  await gitOk(ctx, ['remote', 'add', 'origin', remote], local)
  // Fetching is a read: it uses no approval either.
  await gitOk(
    ctx,
    ['fetch', '--quiet', '--no-tags', '--prune', 'origin', '+refs/heads/*:refs/remotes/origin/*'],
    {
      ...local,
      auth,
    },
  )
  const headOf = async (ref: string) => {
    const r = await git(ctx, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], local)
    return r.exitCode === 0 ? r.stdout.trim() : undefined
  }
  const existing = await headOf(`refs/remotes/origin/${branch}`)
  let start = existing
  if (!start) {
    const base = request.base ?? (await defaultBranch(api, owner, repo))
    start = await headOf(`refs/remotes/origin/${base}`)
    if (!start)
      throw new DriftcoreError(
        'not_found',
        `${owner}/${repo} has no branch ${branch}, nor ${base} to start it from`,
        {
          hint: 'name an existing base branch (--base), or push a first commit to the repository',
        },
      )
  }
  if (request.expected_head && request.expected_head !== start) {
    throw new DriftcoreError(
      'conflict',
      `${owner}/${repo} ${branch} is at ${start.slice(0, 12)}, not at the expected ${request.expected_head.slice(0, 12)}: someone committed meanwhile; nothing was committed`,
      {
        hint: 'read the branch again and repeat the change on top of its new head',
        details: { head: start },
      },
    )
  }
  await gitOk(ctx, ['checkout', '--quiet', '--force', '--detach', start], local)
  await gitOk(ctx, ['clean', '-ffdxq'], local)

  await applyChanges(dir, request.changes)
  await gitOk(ctx, ['add', '--all'], local)
  const numstat = await gitOk(ctx, ['diff', '--cached', '-z', '--numstat', '-M', 'HEAD'], local)
  const names = await gitOk(ctx, ['diff', '--cached', '-z', '--name-status', '-M', 'HEAD'], local)
  const files = parseDiff(numstat, names)
  if (files.length === 0) {
    throw new DriftcoreError(
      'invalid_input',
      `the changes leave ${owner}/${repo} ${branch} as it is: nothing to commit`,
      {
        hint: 'check the paths and contents: they match what the branch has',
      },
    )
  }
  checkBudget(files, ctx.constraints, `the commit to ${owner}/${repo} ${branch}`)

  const author = authorOf(ctx, settings)
  const trailers = [
    `Driftcore-Trace: ${ctx.traceId}`,
    ...(ctx.approval ? [`Driftcore-Approval: ${ctx.approval.id}`] : []),
  ]
  await gitOk(ctx, ['commit', '--quiet', '--no-verify', '--cleanup=verbatim', '--file', '-'], {
    ...local,
    input: `${request.message.trim()}\n\n${trailers.join('\n')}\n`,
    env: {
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_COMMITTER_NAME: settings.committer.name,
      GIT_COMMITTER_EMAIL: settings.committer.email,
    },
  })
  const commit = (await headOf('HEAD'))!

  // The one effect: from here the call uses its approval. No force: a branch that moved since
  // the fetch refuses the push, and the server keeps exactly what it had.
  await ctx.beginEffects()
  const push = await git(
    ctx,
    ['push', '--porcelain', '--atomic', 'origin', `${commit}:refs/heads/${branch}`],
    {
      cwd: dir,
      auth,
      timeoutMs,
    },
  )
  if (push.exitCode !== 0) {
    const text = `${push.stdout}\n${push.stderr}`
    if (/\[rejected\]|non-fast-forward|fetch first|stale info/.test(text)) {
      throw new DriftcoreError(
        'conflict',
        `Gitea refused the push to ${owner}/${repo} ${branch}: the branch moved on since driftcore fetched it (not a fast-forward); the branch is as it was, nothing was pushed`,
        {
          hint: 'call again: driftcore fetches the new head and commits on top of it (or read the branch and decide first)',
          details: { branch, commit, reason: 'non_fast_forward' },
        },
      )
    }
    if (/\[remote rejected\]/.test(text)) {
      throw new DriftcoreError(
        'forbidden',
        `Gitea refused the push to ${owner}/${repo} ${branch}: ${lastLines(text)}`,
        {
          hint: 'the branch may be protected: push to another branch and open a pull request',
          details: { branch, commit },
        },
      )
    }
    throw gitFailed(['push'], push)
  }
  return {
    owner,
    repo,
    branch,
    created_branch: existing === undefined,
    parent: start,
    commit,
    files,
    files_changed: files.length,
    lines_changed: linesOf(files),
    pushed: true,
  }
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' · ')
}

async function applyChanges(dir: string, changes: readonly FileChange[]): Promise<void> {
  const seen = new Set<string>()
  for (const change of changes) {
    const segments = relativeSegments(change.path, 'the changed path')
    if (segments.some((s) => s.toLowerCase() === '.git'))
      throw new DriftcoreError('invalid_input', `the changed path "${change.path}" is inside .git`, {
        hint: 'change files of the repository, not its git folder',
      })
    const key = segments.join('/')
    if (seen.has(key))
      throw new DriftcoreError('invalid_input', `"${change.path}" is changed twice in one commit`, {
        hint: 'give each path once',
      })
    seen.add(key)
  }
  // Confined: a symlink committed in the repository cannot carry a write out of the working copy.
  const work = await ConfinedDir.open(dir, { what: 'the git working copy', deny: [path.join(dir, '.git')] })
  for (const change of changes) {
    const kind = await work.kind(change.path)
    if (change.action === 'delete') {
      if (kind === 'absent' || kind === 'dir')
        throw new DriftcoreError('not_found', `cannot delete ${change.path}: the branch has no such file`, {
          details: { path: change.path },
        })
      await work.remove(change.path)
      continue
    }
    if (change.action === 'create' && kind !== 'absent')
      throw new DriftcoreError('conflict', `cannot create ${change.path}: the branch has it already`, {
        hint: 'use action update to change it',
        details: { path: change.path },
      })
    if (change.action === 'update' && kind !== 'file')
      throw new DriftcoreError(
        'not_found',
        `cannot update ${change.path}: the branch has no such file${kind === 'link' ? ' (it is a symlink)' : ''}`,
        {
          hint: 'use action create for a new file',
          details: { path: change.path },
        },
      )
    if (change.action === 'put' && kind !== 'file' && kind !== 'absent')
      throw new DriftcoreError(
        'conflict',
        `cannot write ${change.path}: the branch has a ${kind === 'link' ? 'symlink' : 'folder'} there`,
        {
          details: { path: change.path },
        },
      )
    const data =
      change.content_base64 !== undefined
        ? Buffer.from(change.content_base64, 'base64')
        : Buffer.from(change.content ?? '', 'utf8')
    await work.writeFile(change.path, data, { sync: false })
  }
}

async function username(api: GiteaApi): Promise<string> {
  if (api.settings.username) return api.settings.username
  const me = await api.call('read the token’s user', (init) => api.client.GET('/user', init))
  return me.login ?? 'driftcore'
}

async function defaultBranch(api: GiteaApi, owner: string, repo: string): Promise<string> {
  const r = await api.call(`read ${owner}/${repo}`, (init) =>
    api.client.GET('/repos/{owner}/{repo}', { params: { path: { owner, repo } }, ...init }),
  )
  return r.default_branch ?? api.settings.default_branch
}

/** The actor as a git identity: gitea.author when set, else the actor's own name. */
function authorOf(ctx: ToolContext, settings: GiteaApi['settings']): { name: string; email: string } {
  const id = ctx.actor.id.replace(/[<>\n\r]/g, '').slice(0, 100) || 'unknown'
  return {
    name: settings.author.name ?? id,
    email: settings.author.email ?? `${id.replace(/[^A-Za-z0-9._-]/g, '-')}@${ctx.actor.type}.driftcore`,
  }
}
