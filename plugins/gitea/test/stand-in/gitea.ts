// A STAND-IN for Gitea, for tests: the REST API answered by openapi-backend from Gitea's own
// published document (every request the plugin sends and every response this stand-in gives is
// validated against it; a violation answers 500 and is kept in `violations`, which the tests
// assert empty), with in-memory state for the operations the plugin uses, over real bare git
// repositories served by Debian's `git http-backend` behind a small front that checks the token
// (Basic auth, the token as password, as Gitea takes it).
import { execFile, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import addFormatsModule from 'ajv-formats'
import { OpenAPIBackend, type Context, type Document } from 'openapi-backend'

// ajv-formats is CommonJS: its function is the module or its default, depending on the loader.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule) as unknown as (ajv: unknown) => void

const run = promisify(execFile)
const DOCUMENT = path.resolve(import.meta.dirname, '../../generated/gitea.openapi.json')

/** A file's text, or a symlink to plant in the repository. */
export type SeedFile = string | { link: string }

interface Pull {
  number: number
  title: string
  body: string
  head: string
  base: string
  state: 'open' | 'closed'
  merged: boolean
  merge_commit_sha?: string
  merged_at?: string
  comments: { id: number; body: string; created_at: string }[]
  created_at: string
}

interface Repo {
  owner: string
  name: string
  id: number
  default_branch: string
  dir: string
  pulls: Pull[]
  statuses: Map<
    string,
    {
      id: number
      context: string
      status: string
      description: string
      target_url: string
      created_at: string
    }[]
  >
}

export interface GiteaStandIn {
  /** http://127.0.0.1:PORT — what `gitea.url` points at. */
  url: string
  token: string
  /** Spec violations seen (requests the document does not allow, responses it does not describe). */
  violations: string[]
  /** Every request line the stand-in answered, for asserting what was (not) called. */
  requests: string[]
  /** Creates a repository with one commit of these files on its default branch. */
  seedRepo(
    owner: string,
    name: string,
    files: Record<string, SeedFile>,
    defaultBranch?: string,
  ): Promise<void>
  /**
   * Runs once, as the next fetch's ref advertisement is sent (after it was made): another
   * writer moving a branch between driftcore's fetch and its push.
   */
  afterFetch(owner: string, name: string, fn: () => Promise<void>): void
  /** Commits one file onto a branch as someone else would; returns the new head. */
  pushAsOther(owner: string, name: string, branch: string, file: string, text: string): Promise<string>
  /** The bare repository's folder (for git commands in tests). */
  repoDir(owner: string, name: string): string
  /** `git` in the bare repository. */
  git(owner: string, name: string, args: string[]): Promise<string>
  /** Makes every API request answer this status (or stop failing with undefined). */
  failWith(status: number | undefined): void
  close(): Promise<void>
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z')

/** Starts the stand-in on a free loopback port. */
export async function startGitea(options: { token?: string; user?: string } = {}): Promise<GiteaStandIn> {
  const token = options.token ?? 'gta_standin_0f9e8d7c6b5a4938271605f4e3d2c1b0'
  const login = options.user ?? 'driftbot'
  const root = await mkdtemp(path.join(os.tmpdir(), 'gitea-stand-in-'))
  const repos = new Map<string, Repo>()
  const violations: string[] = []
  const requests: string[] = []
  let failing: number | undefined
  const fetchHooks = new Map<string, () => Promise<void>>()
  let nextId = 1
  let base = ''

  const git = async (dir: string, args: string[], input?: string) => {
    if (input === undefined) return (await run('git', args, { cwd: dir, maxBuffer: 64 << 20 })).stdout
    return new Promise<string>((resolve, reject) => {
      const child = spawn('git', args, { cwd: dir })
      let out = ''
      child.stdout.on('data', (c: Buffer) => (out += String(c)))
      child.on('close', (code) =>
        code === 0 ? resolve(out) : reject(new Error(`git ${args.join(' ')}: ${code}`)),
      )
      child.stdin.end(input)
    })
  }
  const user = () => ({
    id: 1,
    login,
    login_name: login,
    full_name: 'Drift Bot',
    email: `${login}@example.test`,
  })
  const repoJson = (r: Repo) => ({
    id: r.id,
    name: r.name,
    full_name: `${r.owner}/${r.name}`,
    owner: { id: 1, login: r.owner },
    default_branch: r.default_branch,
    clone_url: `${base}/${r.owner}/${r.name}.git`,
    html_url: `${base}/${r.owner}/${r.name}`,
    private: false,
    empty: false,
    archived: false,
    has_pull_requests: true,
    allow_merge_commits: true,
    permissions: { admin: true, push: true, pull: true },
    created_at: now(),
    updated_at: now(),
  })
  const sha = async (r: Repo, ref: string) =>
    (await git(r.dir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).catch(() => '')).trim()
  const branchJson = async (r: Repo, name: string) => {
    const id = await sha(r, `refs/heads/${name}`)
    const message = (await git(r.dir, ['log', '-1', '--format=%B', id])).trimEnd()
    return {
      name,
      commit: { id, message, url: `${base}/${r.owner}/${r.name}/commit/${id}`, timestamp: now() },
      protected: false,
      user_can_push: true,
      user_can_merge: true,
    }
  }
  const prJson = async (r: Repo, p: Pull) => {
    const headSha = await sha(r, `refs/heads/${p.head}`)
    const baseSha = await sha(r, `refs/heads/${p.base}`)
    const numstat =
      headSha && baseSha ? await git(r.dir, ['diff', '--numstat', `${baseSha}...${headSha}`]) : ''
    const lines = numstat
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'))
    return {
      id: r.id * 1000 + p.number,
      number: p.number,
      title: p.title,
      body: p.body,
      state: p.state,
      merged: p.merged,
      mergeable: p.state === 'open',
      ...(p.merged
        ? { merged_at: p.merged_at, merge_commit_sha: p.merge_commit_sha, merged_by: user() }
        : {}),
      user: user(),
      head: { label: p.head, ref: p.head, sha: headSha, repo_id: r.id },
      base: { label: p.base, ref: p.base, sha: baseSha, repo_id: r.id },
      html_url: `${base}/${r.owner}/${r.name}/pulls/${p.number}`,
      diff_url: `${base}/${r.owner}/${r.name}/pulls/${p.number}.diff`,
      comments: p.comments.length,
      changed_files: lines.length,
      additions: lines.reduce((n, l) => n + (Number(l[0]) || 0), 0),
      deletions: lines.reduce((n, l) => n + (Number(l[1]) || 0), 0),
      created_at: p.created_at,
      updated_at: now(),
    }
  }
  const find = (c: Context) => repos.get(`${String(c.request.params.owner)}/${String(c.request.params.repo)}`)
  const pullOf = (c: Context) => find(c)?.pulls.find((p) => p.number === Number(c.request.params.index))
  const error = (status: number, message: string) => ({
    status,
    body: { message, url: `${base}/api/swagger` },
  })
  type Answer = { status: number; body: unknown }

  const api = new OpenAPIBackend({
    definition: JSON.parse(readFileSync(DOCUMENT, 'utf8')) as Document,
    apiRoot: '/api/v1',
    quick: true,
    validate: true,
    strict: false,
    ajvOpts: { strict: false },
    // Formats checked too (date-time, email…): a stand-in answer Gitea could not give fails.
    customizeAjv: (ajv) => {
      addFormats(ajv)
      return ajv
    },
  })
  const handlers: Record<string, (c: Context) => Promise<Answer> | Answer> = {
    userGetCurrent: () => ({ status: 200, body: user() }),
    repoGet: (c) => {
      const r = find(c)
      return r ? { status: 200, body: repoJson(r) } : error(404, 'The target couldn\u2019t be found.')
    },
    createCurrentUserRepo: async (c) => {
      const body = c.request.requestBody as { name: string; default_branch?: string; auto_init?: boolean }
      if (repos.has(`${login}/${body.name}`))
        return error(409, 'The repository with the same name already exists.')
      await seedRepo(
        login,
        body.name,
        body.auto_init ? { 'README.md': `# ${body.name}\n` } : {},
        body.default_branch,
      )
      return { status: 201, body: repoJson(repos.get(`${login}/${body.name}`)!) }
    },
    repoListBranches: async (c) => {
      const r = find(c)
      if (!r) return error(404, 'not found')
      const names = (await git(r.dir, ['for-each-ref', '--format=%(refname:short)', 'refs/heads/']))
        .split('\n')
        .filter(Boolean)
      return { status: 200, body: await Promise.all(names.map((n) => branchJson(r, n))) }
    },
    repoGetBranch: async (c) => {
      const r = find(c)
      const name = String(c.request.params.branch)
      if (!r || !(await sha(r, `refs/heads/${name}`))) return error(404, 'branch not found')
      return { status: 200, body: await branchJson(r, name) }
    },
    repoCreateBranch: async (c) => {
      const r = find(c)
      if (!r) return error(404, 'repository not found')
      const body = c.request.requestBody as {
        new_branch_name: string
        old_branch_name?: string
        old_ref_name?: string
      }
      if (await sha(r, `refs/heads/${body.new_branch_name}`)) return error(409, 'The branch already exists.')
      const from = body.old_ref_name ?? `refs/heads/${body.old_branch_name ?? r.default_branch}`
      const start = await sha(r, from)
      if (!start) return error(404, `The old branch does not exist`)
      await git(r.dir, ['update-ref', `refs/heads/${body.new_branch_name}`, start, ''])
      return { status: 201, body: await branchJson(r, body.new_branch_name) }
    },
    repoGetContents: async (c) => {
      const r = find(c)
      if (!r) return error(404, 'repository not found')
      const file = String(c.request.params.filepath)
      const ref = typeof c.request.query.ref === 'string' ? c.request.query.ref : r.default_branch
      const blob = (
        await git(r.dir, ['rev-parse', '--verify', '--quiet', `${ref}:${file}`]).catch(() => '')
      ).trim()
      if (!blob) return error(404, 'GetContentsOrList')
      const type = (await git(r.dir, ['cat-file', '-t', blob])).trim()
      if (type !== 'blob') return error(404, 'not a file')
      const content = (await run('git', ['cat-file', 'blob', blob], { cwd: r.dir, encoding: 'buffer' }))
        .stdout
      return {
        status: 200,
        body: {
          type: 'file',
          name: path.posix.basename(file),
          path: file,
          sha: blob,
          size: content.length,
          encoding: 'base64',
          content: content.toString('base64'),
          last_commit_sha: await sha(r, ref),
        },
      }
    },
    repoListPullRequests: async (c) => {
      const r = find(c)
      if (!r) return error(404, 'not found')
      const state = typeof c.request.query.state === 'string' ? c.request.query.state : 'open'
      const list = r.pulls.filter((p) => state === 'all' || p.state === state)
      return { status: 200, body: await Promise.all(list.map((p) => prJson(r, p))) }
    },
    repoCreatePullRequest: async (c) => {
      const r = find(c)
      if (!r) return error(404, 'repository not found')
      const body = c.request.requestBody as { title?: string; head?: string; base?: string; body?: string }
      if (!body.title || !body.head || !body.base) return error(422, 'title, head and base are required')
      if (!(await sha(r, `refs/heads/${body.head}`))) return error(404, `head branch ${body.head} not found`)
      if (!(await sha(r, `refs/heads/${body.base}`))) return error(404, `base branch ${body.base} not found`)
      const open = r.pulls.find((p) => p.state === 'open' && p.head === body.head && p.base === body.base)
      if (open) return error(409, `pull request already exists for these targets [id: ${open.number}]`)
      const pull: Pull = {
        number: r.pulls.length + 1,
        title: body.title,
        body: body.body ?? '',
        head: body.head,
        base: body.base,
        state: 'open',
        merged: false,
        comments: [],
        created_at: now(),
      }
      r.pulls.push(pull)
      return { status: 201, body: await prJson(r, pull) }
    },
    repoGetPullRequest: async (c) => {
      const r = find(c)
      const p = pullOf(c)
      return r && p ? { status: 200, body: await prJson(r, p) } : error(404, 'pull request not found')
    },
    issueCreateComment: (c) => {
      const p = pullOf(c)
      if (!p) return error(404, 'issue not found')
      const comment = {
        id: nextId++,
        body: (c.request.requestBody as { body: string }).body,
        created_at: now(),
      }
      p.comments.push(comment)
      return { status: 201, body: { ...comment, user: user(), updated_at: comment.created_at } }
    },
    repoMergePullRequest: async (c) => {
      const r = find(c)
      const p = pullOf(c)
      if (!r || !p) return error(404, 'pull request not found')
      if (p.merged) return { status: 405, body: undefined }
      const baseSha = await sha(r, `refs/heads/${p.base}`)
      const headSha = await sha(r, `refs/heads/${p.head}`)
      const tree = await git(r.dir, ['merge-tree', '--write-tree', baseSha, headSha]).catch(() => '')
      if (!tree) return error(409, 'merge conflict')
      const message = `Merge pull request '${p.title}' (#${p.number})`
      const commit = (
        await git(r.dir, [
          '-c',
          'user.name=Gitea',
          '-c',
          'user.email=gitea@example.test',
          'commit-tree',
          tree.split('\n')[0]!,
          '-p',
          baseSha,
          '-p',
          headSha,
          '-m',
          message,
        ])
      ).trim()
      await git(r.dir, ['update-ref', `refs/heads/${p.base}`, commit, baseSha])
      Object.assign(p, { merged: true, state: 'closed', merge_commit_sha: commit, merged_at: now() })
      return { status: 200, body: undefined }
    },
    repoDownloadPullDiffOrPatch: async (c) => {
      const r = find(c)
      const p = pullOf(c)
      if (!r || !p) return error(404, 'pull request not found')
      const diff = await git(r.dir, ['diff', `refs/heads/${p.base}...refs/heads/${p.head}`])
      return { status: 200, body: diff }
    },
    repoCreateStatus: (c) => {
      const r = find(c)
      if (!r) return error(404, 'not found')
      const body = c.request.requestBody as {
        state: string
        context?: string
        description?: string
        target_url?: string
      }
      const list = r.statuses.get(String(c.request.params.sha)) ?? []
      const status = {
        id: nextId++,
        status: body.state,
        context: body.context ?? 'default',
        description: body.description ?? '',
        target_url: body.target_url ?? '',
        created_at: now(),
      }
      list.push(status)
      r.statuses.set(String(c.request.params.sha), list)
      return { status: 201, body: status }
    },
    repoGetCombinedStatusByRef: async (c) => {
      const r = find(c)
      if (!r) return error(404, 'not found')
      const id = await sha(r, String(c.request.params.ref))
      const statuses = r.statuses.get(id) ?? []
      const state = statuses.some((s) => s.status === 'failure' || s.status === 'error')
        ? 'failure'
        : statuses.some((s) => s.status === 'pending') || statuses.length === 0
          ? 'pending'
          : 'success'
      return { status: 200, body: { sha: id, state, statuses, total_count: statuses.length } }
    },
    validationFail: (c) => ({
      status: 400,
      body: { message: `spec: ${JSON.stringify(c.validation.errors)}` },
    }),
    notFound: () => ({ status: 404, body: { message: 'no such route in the Gitea API document' } }),
    notImplemented: (c) => ({
      status: 501,
      body: { message: `stand-in does not implement ${c.operation.operationId}` },
    }),
  }
  api.register(handlers)
  api.registerSecurityHandler(
    'AuthorizationHeaderToken',
    (c) => c.request.headers.authorization === `token ${token}`,
  )
  api.register('unauthorizedHandler', () => error(401, 'token is required'))
  await api.init()

  async function pushAsOther(owner: string, name: string, branch: string, file: string, text: string) {
    const dir = path.join(root, owner, `${name}.git`)
    const parent = (await git(dir, ['rev-parse', `refs/heads/${branch}`])).trim()
    const env = { ...process.env, GIT_INDEX_FILE: path.join(dir, 'other-index') }
    await run('git', ['read-tree', parent], { cwd: dir, env })
    const blob = (await git(dir, ['hash-object', '-w', '--stdin'], text)).trim()
    await run('git', ['update-index', '--add', '--cacheinfo', `100644,${blob},${file}`], { cwd: dir, env })
    const tree = (await run('git', ['write-tree'], { cwd: dir, env })).stdout.trim()
    const commit = (
      await git(dir, [
        '-c',
        'user.name=Other',
        '-c',
        'user.email=other@example.test',
        'commit-tree',
        tree,
        '-p',
        parent,
        '-m',
        'Someone else',
      ])
    ).trim()
    await git(dir, ['update-ref', `refs/heads/${branch}`, commit, parent])
    await rm(env.GIT_INDEX_FILE, { force: true })
    return commit
  }

  async function seedRepo(
    owner: string,
    name: string,
    files: Record<string, SeedFile>,
    defaultBranch = 'main',
  ) {
    const dir = path.join(root, owner, `${name}.git`)
    await mkdir(dir, { recursive: true })
    await git(dir, ['init', '--bare', '--quiet', `--initial-branch=${defaultBranch}`])
    await git(dir, ['config', 'http.receivepack', 'true'])
    if (Object.keys(files).length > 0) {
      const env = { GIT_INDEX_FILE: path.join(dir, 'seed-index') }
      for (const [file, entry] of Object.entries(files)) {
        const text = typeof entry === 'string' ? entry : entry.link
        const mode = typeof entry === 'string' ? '100644' : '120000'
        const blob = (await git(dir, ['hash-object', '-w', '--stdin'], text)).trim()
        await run('git', ['update-index', '--add', '--cacheinfo', `${mode},${blob},${file}`], {
          cwd: dir,
          env: { ...process.env, ...env },
        })
      }
      const tree = (
        await run('git', ['write-tree'], { cwd: dir, env: { ...process.env, ...env } })
      ).stdout.trim()
      const commit = (
        await git(dir, [
          '-c',
          'user.name=Seed',
          '-c',
          'user.email=seed@example.test',
          'commit-tree',
          tree,
          '-m',
          'Initial commit',
        ])
      ).trim()
      await git(dir, ['update-ref', `refs/heads/${defaultBranch}`, commit])
      await rm(path.join(dir, 'seed-index'), { force: true })
    }
    repos.set(`${owner}/${name}`, {
      owner,
      name,
      id: nextId++,
      default_branch: defaultBranch,
      dir,
      pulls: [],
      statuses: new Map(),
    })
  }

  async function apiRequest(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) {
    const url = new URL(req.url ?? '/', base)
    if (req.headers.authorization !== `token ${token}`) {
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end(JSON.stringify({ message: 'token is required', url: base }))
      return
    }
    if (failing !== undefined) {
      res
        .writeHead(failing, { 'content-type': 'application/json' })
        .end(JSON.stringify({ message: `stand-in answers ${failing}`, url: base }))
      return
    }
    const text = body.toString('utf8')
    const request = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers as Record<string, string>,
      body:
        text && String(req.headers['content-type']).includes('json') ? (JSON.parse(text) as unknown) : text,
    }
    // openapi-backend splits a `{index}.{diffType}` segment wrongly ("1.diff" as the index), so
    // that one route's parameters are parsed here; its response is still checked below.
    const dotted = /^\/api\/v1\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\.(diff|patch)$/.exec(url.pathname)
    let answer = dotted
      ? await handlers.repoDownloadPullDiffOrPatch!({
          request: {
            ...request,
            params: { owner: dotted[1]!, repo: dotted[2]!, index: dotted[3]!, diffType: dotted[4]! },
          },
        } as unknown as Context)
      : ((await api.handleRequest(request)) as Answer)
    const operation = dotted ? api.getOperation('repoDownloadPullDiffOrPatch') : api.matchOperation(request)
    if (answer.status === 400 && String((answer.body as { message?: string }).message).startsWith('spec:'))
      violations.push(
        `request ${request.method} ${url.pathname}: ${(answer.body as { message: string }).message}`,
      )
    if (operation && answer.status < 300 && answer.body !== undefined) {
      const check = api.validateResponse(answer.body, operation, answer.status)
      if (check.errors?.length) {
        violations.push(`response ${operation.operationId} ${answer.status}: ${JSON.stringify(check.errors)}`)
        answer = { status: 500, body: { message: 'the stand-in answered outside the spec' } }
      }
    }
    if (
      operation &&
      !operation.responses?.[String(answer.status)] &&
      answer.status !== 401 &&
      answer.status < 500
    )
      violations.push(`status ${answer.status} for ${operation.operationId} is not in the document`)
    const isString = typeof answer.body === 'string'
    res
      .writeHead(answer.status, {
        'content-type': isString ? 'text/plain; charset=utf-8' : 'application/json',
      })
      .end(answer.body === undefined ? '' : isString ? answer.body : JSON.stringify(answer.body))
  }

  // git smart HTTP: /OWNER/REPO.git/… through `git http-backend` (CGI), Basic auth with the token.
  function gitRequest(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) {
    const url = new URL(req.url ?? '/', base)
    const auth = req.headers.authorization ?? ''
    const password = auth.startsWith('Basic ')
      ? Buffer.from(auth.slice(6), 'base64').toString().split(':').slice(1).join(':')
      : ''
    if (password !== token) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="Gitea"' }).end('Unauthorized')
      return
    }
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        REMOTE_USER: login,
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        CONTENT_LENGTH: String(body.length),
        ...(req.headers['content-encoding']
          ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) }
          : {}),
        GIT_HTTP_MAX_REQUEST_BUFFER: '100M',
      },
    })
    const chunks: Buffer[] = []
    child.stdout.on('data', (c: Buffer) => chunks.push(c))
    child.on('close', () => {
      // The ref advertisement of a fetch: what the client will believe the branch heads are.
      const advertised = url.searchParams.get('service') === 'git-upload-pack'
      const hookKey = advertised ? /^\/([^/]+)\/([^/]+)\.git\/info\/refs$/.exec(url.pathname) : null
      const hook = hookKey ? fetchHooks.get(`${hookKey[1]}/${hookKey[2]}`) : undefined
      if (hook) fetchHooks.delete(`${hookKey![1]}/${hookKey![2]}`)
      const out = Buffer.concat(chunks)
      const split = out.indexOf('\r\n\r\n')
      const head = out.subarray(0, split).toString()
      const headers: Record<string, string> = {}
      let status = 200
      for (const line of head.split('\r\n')) {
        const i = line.indexOf(':')
        const key = line.slice(0, i).trim().toLowerCase()
        const value = line.slice(i + 1).trim()
        if (key === 'status') status = Number(value.split(' ')[0])
        else if (key) headers[key] = value
      }
      // The pack is made already: moving the branch now, before the answer is sent, means the
      // client sees the old head and the server has the new one by the time it pushes.
      void (hook ?? (async () => {}))()
        .catch((e: unknown) => violations.push(`afterFetch hook failed: ${String(e)}`))
        .then(() => res.writeHead(status, headers).end(out.subarray(split + 4)))
    })
    child.stdin.end(body)
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      requests.push(`${req.method} ${req.url}`)
      const done = (req.url ?? '').startsWith('/api/v1/')
        ? apiRequest(req, res, body)
        : Promise.resolve(gitRequest(req, res, body))
      done.catch((e: unknown) => {
        violations.push(`stand-in failure: ${String(e)}`)
        if (!res.headersSent) res.writeHead(500).end()
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url: base,
    token,
    violations,
    requests,
    seedRepo,
    afterFetch: (owner, name, fn) => fetchHooks.set(`${owner}/${name}`, fn),
    pushAsOther,
    repoDir: (owner, name) => path.join(root, owner, `${name}.git`),
    git: (owner, name, args) => git(path.join(root, owner, `${name}.git`), args),
    failWith: (status) => (failing = status),
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await rm(root, { recursive: true, force: true })
    },
  }
}
