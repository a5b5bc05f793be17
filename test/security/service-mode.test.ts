import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, chown, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, REPO, json, type TempProject } from '../helpers/project.js'
import { startServe, type Served } from '../helpers/serve.js'
import { approvalRequests } from '../helpers/approvals-state.js'

/**
 * The deployment the guides recommend for agents with a shell: `driftcore serve` as its own OS
 * user owning .driftcore/ (0700), the agent as another user with nothing but its MCP token.
 * Needs root (to create the two users and the mounts); CI runs as root.
 */
const root = process.getuid?.() === 0
const tools =
  spawnSync('sh', [
    '-c',
    'command -v useradd && command -v userdel && command -v setpriv && command -v mount',
  ]).status === 0
const why = !root
  ? ' (skipped: needs root to create the service and agent users; CI runs as root)'
  : !tools
    ? ' (skipped: needs useradd, userdel, setpriv and mount)'
    : ''

const suffix = randomBytes(3).toString('hex')
const SERVICE = `dcsvc${suffix}`
const AGENT = `dcagt${suffix}`
const base = path.join(os.tmpdir(), `driftcore-2u-${suffix}`)
const node = path.join(base, 'node')
const repo = path.join(base, 'repo')
const cli = path.join(repo, 'bin/run.js')
const dir = path.join(base, 'project')
const home = path.join(dir, '.driftcore')
const mcpToken = randomBytes(32).toString('base64url')
const mounts: string[] = []
const users: string[] = []
// The checkout's own mode when it had to be opened to the two users (a clone made in a
// `mktemp -d` folder is 0700, and a bind mount keeps its root's mode).
let checkoutMode: number | undefined
let server: Served | undefined
let personToken: string

const envFor = (user: string): NodeJS.ProcessEnv => ({
  PATH: `${path.dirname(node)}:/usr/local/bin:/usr/bin:/bin`,
  HOME: path.join(base, `${user}-home`),
  XDG_CONFIG_HOME: path.join(base, `${user}-home/.config`),
  XDG_DATA_HOME: path.join(base, `${user}-home/.local/share`),
  XDG_CACHE_HOME: path.join(base, `${user}-home/.cache`),
  LANG: 'C.UTF-8',
  NO_COLOR: '1',
})

/** Runs a command as `user` (no supplementary groups), in the project folder. */
function as(user: string, file: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return execa('setpriv', ['--reuid', user, '--regid', user, '--clear-groups', '--', file, ...args], {
    cwd: dir,
    env: { ...envFor(user), ...env },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: 60_000,
  })
}
const driftcore = (user: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  as(user, node, [cli, ...args], env)
/** A person at the server's control API, with their token (here: root, on this machine). */
const person = (args: string[]) =>
  execa(process.execPath, [CLI, ...args], {
    cwd: os.tmpdir(),
    env: { ...envFor('person'), DRIFTCORE_SERVER: server!.base, DRIFTCORE_SERVER_TOKEN: personToken },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  })

// The agent's MCP client: the official SDK, run as the agent user, printing what it saw.
const AGENT_CLIENT = `
import { Client } from '${repo}/node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.js'
import { StreamableHTTPClientTransport } from '${repo}/node_modules/@modelcontextprotocol/sdk/dist/esm/client/streamableHttp.js'
const [url, token] = process.argv.slice(2)
const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { Authorization: 'Bearer ' + token } },
})
const client = new Client({ name: 'shell-agent', version: '1.0.0' })
await client.connect(transport)
const call = async (name, args) => {
  const r = await client.callTool({ name, arguments: args })
  return { isError: r.isError === true, error: r._meta?.['driftcore/error'], content: r.structuredContent ?? r.content }
}
const out = {
  tools: (await client.listTools()).tools.map((t) => t.name),
  greet: await call('hello.greet', { name: 'from the agent' }),
  shout: await call('hello.shout', { words: ['approve me'] }),
  configSet: await call('config.set', { key: 'approvals.require_signature', value: false }),
  rollback: await call('policy.rollback', { to: 1 }),
}
await client.close()
process.stdout.write(JSON.stringify(out))
`

async function sh(command: string, args: string[]) {
  const result = await execa(command, args, { reject: false })
  if (result.exitCode !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr}`)
}

describe.skipIf(!root || !tools)(`service mode with two OS users${why}`, () => {
  beforeAll(async () => {
    // Node (under /root, 0700 here) and the checkout (maybe under an unreadable path in CI)
    // are bind-mounted where both users can read them.
    await mkdir(base, { recursive: true, mode: 0o755 })
    await chmod(base, 0o755)
    await writeFile(node, '')
    await sh('mount', ['--bind', process.execPath, node])
    mounts.push(node)
    await mkdir(repo)
    const mode = (await stat(REPO)).mode & 0o777
    if ((mode & 0o005) !== 0o005) {
      checkoutMode = mode
      await chmod(REPO, mode | 0o055)
    }
    await sh('mount', ['--bind', REPO, repo])
    mounts.push(repo)
    for (const user of [SERVICE, AGENT]) {
      await sh('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', user])
      users.push(user)
      const userHome = path.join(base, `${user}-home`)
      await mkdir(userHome, { mode: 0o700 })
      const { stdout } = await execa('id', ['-u', user])
      const { stdout: gid } = await execa('id', ['-g', user])
      await chown(userHome, Number(stdout), Number(gid))
    }
    await writeFile(path.join(base, 'agent-client.mjs'), AGENT_CLIENT, { mode: 0o644 })
    // The project belongs to the service user; the agent can see the site folder, not the state.
    await mkdir(dir, { mode: 0o755 })
    const uid = Number((await execa('id', ['-u', SERVICE])).stdout)
    const gid = Number((await execa('id', ['-g', SERVICE])).stdout)
    await chown(dir, uid, gid)
    const init = await driftcore(SERVICE, ['init'])
    expect(init.exitCode, init.stderr).toBe(0)
    await chmod(home, 0o700)
    const linked = await driftcore(SERVICE, [
      'plugins',
      'link',
      '--no-install',
      path.join(repo, 'test/fixtures/plugins/hello'),
    ])
    expect(linked.exitCode, linked.stderr).toBe(0)
    const token = await driftcore(SERVICE, ['serve', 'tokens', 'add', 'alice', '--json'])
    expect(token.exitCode, token.stderr).toBe(0)
    personToken = json<{ token: string }>({ ...token, exitCode: token.exitCode ?? 0 }).token
    const project = { dir, home, env: envFor(SERVICE) } as TempProject
    server = await startServe(project, {
      env: { DRIFTCORE_MCP_TOKEN: mcpToken },
      command: {
        file: 'setpriv',
        args: [
          '--reuid',
          SERVICE,
          '--regid',
          SERVICE,
          '--clear-groups',
          '--',
          node,
          cli,
          'serve',
          '--port',
          '0',
        ],
      },
    })
  }, 180_000)

  afterAll(async () => {
    await server?.stop()
    for (const mount of mounts.reverse()) await execa('umount', [mount], { reject: false })
    for (const user of users) await execa('userdel', [user], { reject: false })
    if (checkoutMode !== undefined) await chmod(REPO, checkoutMode)
    if (mounts.every((m) => !existsSync(path.join(m, 'package.json'))))
      await rm(base, { recursive: true, force: true })
  })

  it('the agent cannot read or write .driftcore/', async () => {
    for (const file of ['config.yaml', 'state/mcp-token', 'state/control-tokens.json', 'audit/HEAD.json']) {
      const read = await as(AGENT, '/bin/cat', [path.join(home, file)])
      expect(read.exitCode, file).not.toBe(0)
      expect(read.stderr).toContain('Permission denied')
    }
    const listed = await as(AGENT, '/bin/ls', [home])
    expect(listed.stderr).toContain('Permission denied')
    const wrote = await as(AGENT, '/bin/sh', ['-c', `echo 'rules: []' > ${home}/policy/evil.yaml`])
    expect(wrote.exitCode).not.toBe(0)
    const moved = await as(AGENT, '/bin/mv', [home, path.join(dir, 'stolen')])
    expect(moved.exitCode).not.toBe(0)
    expect(existsSync(path.join(home, 'policy/evil.yaml'))).toBe(false)
    expect(existsSync(home)).toBe(true)
  })

  it('its tool calls work through MCP, while config and policy changes do not happen', async () => {
    const config = await readFile(path.join(home, 'config.yaml'), 'utf8')
    const client = await as(AGENT, node, [path.join(base, 'agent-client.mjs'), server!.mcp, mcpToken])
    expect(client.exitCode, client.stderr).toBe(0)
    const seen = JSON.parse(client.stdout) as Record<string, any>
    expect(seen.tools).toContain('hello.greet')
    expect(seen.greet.isError).toBe(false)
    expect(JSON.stringify(seen.greet.content)).toContain('hello from the agent')
    expect(seen.shout).toMatchObject({ isError: true, error: { code: 'approval_required' } })
    expect(seen.configSet).toMatchObject({ isError: true, error: { code: 'approval_required' } })
    expect(seen.rollback).toMatchObject({ isError: true, error: { code: 'policy_denied' } })
    expect(await readFile(path.join(home, 'config.yaml'), 'utf8')).toBe(config)
    const local = await driftcore(AGENT, ['config', 'set', 'approvals.require_signature', 'false'])
    expect(local.exitCode).not.toBe(0)
    expect(await readFile(path.join(home, 'config.yaml'), 'utf8')).toBe(config)
  })

  it('the agent cannot approve: not as a local "person", not without a person token, not with its MCP token', async () => {
    const pending = json<{ id: string; tool: string }[]>({
      ...(await person(['approvals', 'list', '--json'])),
      exitCode: 0,
    })
    const shout = pending.find((r) => r.tool === 'hello.shout')!
    expect(shout).toBeDefined()

    const impersonating = await driftcore(AGENT, ['approvals', 'approve', shout.id], {
      DRIFTCORE_ACTOR: 'human:lead',
    })
    expect(impersonating.exitCode).not.toBe(0)
    expect(impersonating.stderr).toMatch(/EACCES|permission denied/i)
    const tokenless = await driftcore(AGENT, ['approvals', 'approve', shout.id], {
      DRIFTCORE_SERVER: server!.base,
    })
    expect(tokenless.exitCode).toBe(11)
    expect(tokenless.stderr).toContain('no person token')
    const withMcpToken = await driftcore(AGENT, ['approvals', 'approve', shout.id], {
      DRIFTCORE_SERVER: server!.base,
      DRIFTCORE_SERVER_TOKEN: mcpToken,
    })
    expect(withMcpToken.exitCode).toBe(11)
    expect(withMcpToken.stderr).toContain('refused the token')
    const raw = await fetch(`${server!.base}/control/v1/approvals/${shout.id}/decision`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${mcpToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ verdict: 'approved' }),
    })
    expect(raw.status).toBe(401)

    expect((await approvalRequests(home))[shout.id]?.status).toBe('pending')

    // A person with a token decides it (this project lists no approvers, so unsigned is allowed),
    // and the record says whose token it was.
    const decided = await person(['approvals', 'deny', shout.id, '--comment', 'not now'])
    expect(decided.exitCode, decided.stderr).toBe(0)
    expect(decided.stdout).toContain(`denied ${shout.id}`)
    const records = json<{ type: string; identity?: { token?: string; os_user?: string } }[]>({
      ...(await person(['audit', 'query', '--type', 'control.request', '--json'])),
      exitCode: 0,
    })
    expect(records.length).toBeGreaterThan(0)
    // Written by the service user's process, for the person named by the token.
    for (const r of records) expect(r.identity).toMatchObject({ token: 'alice', os_user: SERVICE })
  })
})
