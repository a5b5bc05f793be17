import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { Kernel } from '../../src/kernel/open.js'
import { bwrapAvailable } from '../../src/launcher/isolation.js'
import type { ToolDefinition } from '../../src/registry/types.js'
import { testLauncher } from '../helpers/launcher.js'
import { json, runCli, tempProject, testKernel, type TempProject } from '../helpers/project.js'

// The attacks (issue 10, hole 7): under `network: none` a child still reaches the host's Unix
// sockets (docker.sock, a database socket: an empty network namespace does not cover
// filesystem sockets), and tools whose handler does the work in-process ignore the policy's
// constraints altogether (workflow.notify posts to its webhook, output limits do not apply).

/** A Unix socket server, as docker or a database would keep one: counts who connects. */
async function socketServer(
  dir: string,
): Promise<{ path: string; connections: () => number; close: () => Promise<void> }> {
  const file = path.join(dir, 'daemon.sock')
  let connections = 0
  const server = net.createServer((socket) => {
    connections += 1
    socket.end('hello from the host\n')
  })
  await new Promise<void>((resolve) => server.listen(file, resolve))
  return {
    path: file,
    connections: () => connections,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/** A webhook receiver on loopback: counts what reaches it. */
async function webhookServer(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0
  const server = http.createServer((req, res) => {
    requests += 1
    req.resume()
    res.end('ok')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests: () => requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

const CONNECT = `const s = require('net').connect(process.argv[1])
s.on('data', (d) => { console.log('reached: ' + d.toString().trim()); process.exit(0) })
s.on('error', (e) => { console.log('refused: ' + e.code); process.exit(3) })`

describe.runIf(bwrapAvailable())('a child under network: none', () => {
  let dirs: string[]
  beforeEach(() => {
    dirs = []
  })
  afterEach(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })
  const tempDir = async (base: string) => {
    const dir = await mkdtemp(path.join(base, 'driftcore-sock-'))
    dirs.push(dir)
    return dir
  }

  it('cannot connect to a Unix socket on the host filesystem', async () => {
    const dir = await tempDir(os.tmpdir())
    const daemon = await socketServer(dir)
    try {
      const launcher = testLauncher(dir, { allowlist: ['node'] })
      // The control: without the constraint the socket is reachable, so the test proves something.
      const open = await launcher.run({ file: 'node', args: ['-e', CONNECT, daemon.path] })
      expect(open.stdout).toBe('reached: hello from the host\n')
      const before = daemon.connections()

      const confined = await launcher.run({
        file: 'node',
        args: ['-e', CONNECT, daemon.path],
        isolation: { network: 'none' },
      })
      expect(confined.stdout).toMatch(/^refused: E/)
      expect(confined.exitCode).toBe(3)
      expect(daemon.connections()).toBe(before)
    } finally {
      await daemon.close()
    }
  })

  it('cannot connect to one from the sandbox profile either (read-only root, writable site)', async () => {
    // Outside /tmp, which the profile replaces with a private tmpfs anyway.
    const outside = await tempDir('/var/tmp')
    const site = await tempDir(os.tmpdir())
    const daemon = await socketServer(outside)
    try {
      const launcher = testLauncher(site, { allowlist: ['node'] })
      const confined = await launcher.run({
        file: 'node',
        args: ['-e', CONNECT, daemon.path],
        cwd: site,
        isolation: { network: 'none', readOnlyExcept: [site] },
      })
      expect(confined.stdout).toMatch(/^refused: E/)
      expect(daemon.connections()).toBe(0)
    } finally {
      await daemon.close()
    }
  })

  it('cannot reach a socket through a symlink or a hard link in a path it may write', async () => {
    const outside = await tempDir('/var/tmp')
    const site = await tempDir(os.tmpdir())
    const daemon = await socketServer(outside)
    try {
      const { symlink, link } = await import('node:fs/promises')
      await symlink(daemon.path, path.join(site, 'via-symlink.sock'))
      await link(daemon.path, path.join(site, 'via-hardlink.sock')).catch(() => undefined)
      const launcher = testLauncher(site, { allowlist: ['node'] })
      for (const name of ['via-symlink.sock', 'via-hardlink.sock']) {
        const confined = await launcher.run({
          file: 'node',
          args: ['-e', CONNECT, path.join(site, name)],
          isolation: { network: 'none', readOnlyExcept: [site] },
        })
        expect(confined.stdout).toMatch(/^refused: E/)
      }
      expect(daemon.connections()).toBe(0)
    } finally {
      await daemon.close()
    }
  })

  it('still starts programs that talk to their own children over socket pairs', async () => {
    const dir = await tempDir(os.tmpdir())
    const launcher = testLauncher(dir, { allowlist: ['node'] })
    const code = `const { execFileSync } = require('child_process')
console.log(execFileSync(process.execPath, ['-e', 'console.log(40 + 2)']).toString().trim())`
    const result = await launcher.run({ file: 'node', args: ['-e', code], isolation: { network: 'none' } })
    expect(result.stdout).toBe('42\n')
    expect(result.exitCode).toBe(0)
  })
})

const NO_NETWORK_POLICY = `apiVersion: driftcore/v1
kind: PolicyBundle
name: p
rules:
  - id: confined
    decision: ALLOW
    constraints: { network: none }
`

describe('workflow.notify under network: none', () => {
  let project: TempProject
  let hook: Awaited<ReturnType<typeof webhookServer>>
  beforeEach(async () => {
    hook = await webhookServer()
    project = await tempProject({
      config: `workflow:\n  notify:\n    sinks:\n      hook: { type: webhook, url: '${hook.url}', secret: 'secret://env/HOOK_KEY' }\n      log: { type: file, path: notify.jsonl }\n`,
      policy: { 'p.yaml': NO_NETWORK_POLICY },
    })
  })
  afterEach(async () => {
    await hook.close()
    await project.cleanup()
  })

  it('is refused as unavailable, naming the constraint, and nothing reaches the webhook', async () => {
    const result = await runCli(
      project,
      [
        'tools',
        'call',
        'workflow.notify',
        '--input',
        '{"message":"exfiltrate","sinks":["log","hook"]}',
        '--json',
      ],
      { env: { HOOK_KEY: 'k-0123456789abcdef' } },
    )
    expect(result.exitCode).toBe(9)
    expect(json(result).error).toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('network: none'),
    })
    expect(hook.requests()).toBe(0)
    // Checked before the first delivery: the file sink listed first got nothing either.
    const { readFile } = await import('node:fs/promises')
    await expect(readFile(path.join(project.dir, 'notify.jsonl'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('still delivers to sinks that need no network', async () => {
    const result = await runCli(
      project,
      ['tools', 'call', 'workflow.notify', '--input', '{"message":"fine","sinks":["log"]}', '--json'],
      { env: { HOOK_KEY: 'k-0123456789abcdef' } },
    )
    expect(result.exitCode).toBe(0)
    expect(hook.requests()).toBe(0)
  })
})

describe('in-process handlers under constraints', () => {
  let project: TempProject
  let kernel: Kernel | undefined
  let hook: Awaited<ReturnType<typeof webhookServer>>
  const human = { type: 'human', id: 'alice' }

  beforeEach(async () => {
    hook = await webhookServer()
  })
  afterEach(async () => {
    await kernel?.close()
    kernel = undefined
    await hook.close()
    await project.cleanup()
  })

  async function open(constraints: string, tools: ToolDefinition[] = []) {
    project = await tempProject({
      policy: {
        'p.yaml': `apiVersion: driftcore/v1\nkind: PolicyBundle\nname: p\nrules:\n  - id: confined\n    decision: ALLOW\n    constraints: ${constraints}\n`,
      },
    })
    kernel = await testKernel(project, [{ plugin: 'driftcore-plugin-rogue', capabilities: { tools } }])
    return kernel
  }

  it('a plugin tool that fetches in-process is refused under network: none before its handler runs', async () => {
    let ran = false
    const fetcher: ToolDefinition = {
      id: 'rogue.fetch',
      description: 'Posts to a URL from the handler itself.',
      capability: 'rogue.network',
      risk: ['network'],
      input: z.object({}),
      output: z.object({ status: z.number() }),
      async run() {
        ran = true
        return { status: (await fetch(hook.url, { method: 'POST', body: 'secret' })).status }
      },
    }
    const k = await open('{ network: none }', [fetcher])
    await expect(k.gate.invoke('rogue.fetch', {}, human)).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('network: none'),
    })
    expect(ran).toBe(false)
    expect(hook.requests()).toBe(0)
  })

  it('max_output_bytes applies to the output of an in-process tool: an oversized result is withheld', async () => {
    const tiny: ToolDefinition = {
      id: 'rogue.tiny',
      description: 'Returns almost nothing.',
      capability: 'rogue.read',
      risk: ['read'],
      input: z.object({}),
      output: z.object({ ok: z.boolean() }),
      run: async () => ({ ok: true }),
    }
    const k = await open('{ max_output_bytes: 64 }', [tiny])
    const error = await k.gate.invoke('config.effective', {}, human).catch((e: unknown) => e)
    expect(error).toMatchObject({
      code: 'policy_denied',
      message: expect.stringContaining('max_output_bytes'),
    })
    // Nothing of the withheld output travels in the error either (the default allowlist is in it).
    expect(JSON.stringify(error)).not.toContain('vendor/bin/drush')
    expect((await k.gate.invoke('rogue.tiny', {}, human)).output).toEqual({ ok: true })
  })

  it.each([
    ['cpu_seconds', '{ cpu_seconds: 5 }'],
    ['memory_bytes', '{ memory_bytes: 1000000 }'],
    ['open_files', '{ open_files: 16 }'],
    ['deny_paths', '{ deny_paths: [/etc] }'],
  ])(
    'a tool whose in-process work cannot keep %s is refused as unavailable, naming it',
    async (name, constraints) => {
      let ran = false
      const heavy: ToolDefinition = {
        id: 'rogue.crunch',
        description: 'Reads and parses files itself, without declaring what it touches.',
        capability: 'rogue.read',
        risk: ['read'],
        input: z.object({}),
        output: z.object({}),
        async run() {
          ran = true
          return {}
        },
      }
      const k = await open(constraints, [heavy])
      await expect(k.gate.invoke('rogue.crunch', {}, human)).rejects.toMatchObject({
        code: 'unavailable',
        message: expect.stringContaining(name),
      })
      expect(ran).toBe(false)
    },
  )
})

describe('every constraint on every tool, through the gate', () => {
  let project: TempProject
  let kernel: Kernel | undefined
  const human = { type: 'human', id: 'alice' }
  afterEach(async () => {
    await kernel?.close()
    kernel = undefined
    await project.cleanup()
  })

  // The policy guide's own example rule for exec tools: every constraint at once.
  const EXEC_LIMITS = `apiVersion: driftcore/v1
kind: PolicyBundle
name: p
rules:
  - id: exec-limits
    decision: ALLOW_WITH_CONSTRAINTS
    constraints:
      timeout_ms: 120000
      max_output_bytes: 1048576
      network: none
      cpu_seconds: 60
      memory_bytes: 2147483648
      deny_paths: [/root/.ssh]
      max_retries: 2
`

  it.runIf(bwrapAvailable())(
    'pool.exec runs under them all, and its worker cannot reach a host socket',
    async () => {
      const outside = await mkdtemp(path.join('/var/tmp', 'driftcore-sock-'))
      const daemon = await socketServer(outside)
      try {
        project = await tempProject({
          config: `launcher:\n  allowlist: [node]\npools:\n  w:\n    topics: [t]\n    handler: { command: [node, -e, ${JSON.stringify(
            `${CONNECT.replace('process.argv[1]', JSON.stringify(daemon.path))}`,
          )}] }\n`,
          policy: { 'p.yaml': EXEC_LIMITS },
        })
        kernel = await testKernel(project)
        const job = {
          protocol_version: 'driftcore.job/v1',
          id: 'job_x_s_1',
          trace_id: 't',
          sender_id: 'driftcore@test/run_x',
          created_at: new Date().toISOString(),
          topic: 't',
          run_id: 'run_x',
          step: 's',
          attempt: 1,
          metadata: {
            tenant_id: 'x',
            actor_id: 'alice',
            actor_type: 'human',
            idempotency_key: 'k',
            risk_tags: [],
            requires: [],
          },
          input: {},
        }
        const error = await kernel.gate
          .invoke('pool.exec', { pool: 'w', job }, human)
          .catch((e: unknown) => e)
        // The worker exits 3 ("refused: EACCES"): the call fails, and the daemon saw no one.
        expect(error).toMatchObject({ message: expect.stringContaining('refused: EACCES') })
        expect(daemon.connections()).toBe(0)
      } finally {
        await daemon.close()
        await rm(outside, { recursive: true, force: true })
      }
    },
  )

  it('a declared path that is a symlink into a denied folder is refused: deny_paths compares real paths', async () => {
    project = await tempProject({
      policy: { 'p.yaml': EXEC_LIMITS.replace('/root/.ssh', 'secrets') },
    })
    const { mkdir, symlink } = await import('node:fs/promises')
    await mkdir(path.join(project.dir, 'secrets'))
    await symlink(path.join(project.dir, 'secrets'), path.join(project.dir, 'innocent'))
    let ran = false
    const reader: ToolDefinition = {
      id: 'rogue.read',
      description: 'Reads the folder it is given, itself.',
      capability: 'rogue.read',
      risk: ['exec'],
      inProcess: {
        paths: (input: { dir: string }, env) => [path.resolve(env.paths.root, input.dir)],
        bounded: true,
      },
      input: z.object({ dir: z.string() }),
      output: z.object({}),
      async run() {
        ran = true
        return {}
      },
    }
    kernel = await testKernel(project, [
      { plugin: 'driftcore-plugin-rogue', capabilities: { tools: [reader] } },
    ])
    await expect(kernel.gate.invoke('rogue.read', { dir: 'innocent/id_rsa' }, human)).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('deny_paths'),
    })
    expect(ran).toBe(false)
    expect((await kernel.gate.invoke('rogue.read', { dir: 'elsewhere' }, human)).output).toEqual({})
  })

  it('a workflow step past max_retries is refused before its handler runs', async () => {
    project = await tempProject({ policy: { 'p.yaml': EXEC_LIMITS } })
    kernel = await testKernel(project)
    const call = (attempt: number) =>
      kernel!.gate.invoke('config.effective', {}, human, { meta: { run_id: 'run_x', step: 's', attempt } })
    expect((await call(3)).tool).toBe('config.effective')
    await expect(call(4)).rejects.toMatchObject({
      code: 'policy_denied',
      message: expect.stringContaining('max_retries'),
    })
  })
})
