import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { execa } from 'execa'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Redactor } from '../../../src/audit/redact.js'
import { Launcher, type LauncherOptions } from '../../../src/launcher/launch.js'
import { bwrapAvailable, wrapCommand } from '../../../src/launcher/isolation.js'
import { createSecretResolver } from '../../../src/secrets/resolve.js'
import { testLauncher } from '../../helpers/launcher.js'

let root: string
const logs: string[] = []

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'driftcore-launch-'))
  logs.length = 0
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

function launcher(overrides: Partial<LauncherOptions> = {}): Launcher {
  const redactor = new Redactor()
  return new Launcher({
    root,
    allowlist: ['sh', 'echo', 'printf', 'node', 'sleep', 'cat'],
    envPassthrough: [],
    defaultTimeoutMs: 30_000,
    killGraceMs: 300,
    maxOutputBytes: 1024 * 1024,
    maxLogBytes: 4 * 1024 * 1024,
    isolation: 'auto',
    redactor,
    secrets: createSecretResolver({ root, env: { API_TOKEN: 'tok-1234567890' }, redactor }),
    storeLog: async (log) => {
      logs.push(log)
      return `artifact://sha256/${'0'.repeat(64)}`
    },
    ...overrides,
  })
}

async function running(marker: string): Promise<string[]> {
  const ps = await execa('ps', ['-eo', 'args'], { reject: false })
  return String(ps.stdout)
    .split('\n')
    .filter((l) => l.includes(marker) && !l.includes('ps -eo'))
}

describe('the launcher', () => {
  it('passes shell metacharacters to the child literally: no shell ever sees them', async () => {
    const args = ['; rm -rf /', '$(id)', '`id`', '&& echo pwned', '| cat', "'quoted'", '*']
    const result = await launcher().run({ file: 'printf', args: ['%s\\n', ...args] })
    expect(result.exitCode).toBe(0)
    expect(result.stdout.split('\n').filter(Boolean)).toEqual(args)
  })

  it('refuses an executable that is not on the allowlist, before starting anything', async () => {
    await expect(launcher().run({ file: 'curl', args: ['http://example.com'] })).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringContaining('"curl" is not on launcher.allowlist'),
    })
    await expect(launcher().run({ file: '/bin/sh', args: ['-c', 'true'] })).rejects.toMatchObject({
      code: 'forbidden',
    })
    await expect(launcher().run({ file: '../../bin/sh' })).rejects.toMatchObject({ code: 'forbidden' })
  })

  it('runs an allowlisted path relative to the project and nothing else by that name', async () => {
    const { writeFile, chmod, mkdir } = await import('node:fs/promises')
    await mkdir(path.join(root, 'vendor/bin'), { recursive: true })
    await writeFile(path.join(root, 'vendor/bin/tool'), '#!/bin/sh\necho vendored "$@"\n')
    await chmod(path.join(root, 'vendor/bin/tool'), 0o755)
    const l = launcher({ allowlist: ['vendor/bin/tool'] })
    expect((await l.run({ file: 'vendor/bin/tool', args: ['x'] })).stdout).toBe('vendored x\n')
    await expect(l.run({ file: 'tool' })).rejects.toMatchObject({ code: 'forbidden' })
  })

  it('gives the child a minimal environment plus declared variables', async () => {
    process.env.DRIFTCORE_TEST_LEAK = 'leaked'
    try {
      const result = await launcher().run({
        file: 'node',
        args: ['-e', 'console.log(JSON.stringify(process.env))'],
        env: { DECLARED: 'yes' },
      })
      const env = JSON.parse(result.stdout) as Record<string, string>
      expect(env.DECLARED).toBe('yes')
      expect(env.DRIFTCORE_TEST_LEAK).toBeUndefined()
      // PWD is bubblewrap's: it always names the working folder it started the program in.
      expect(
        Object.keys(env).filter(
          (k) => !['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER', 'DECLARED', 'PWD'].includes(k),
        ),
      ).toEqual([])
      if (env.PWD !== undefined) expect(env.PWD).toBe(root)
    } finally {
      delete process.env.DRIFTCORE_TEST_LEAK
    }
  })

  it('resolves secret references in env and redacts the value from the output', async () => {
    const result = await launcher().run({
      file: 'node',
      args: ['-e', 'console.log("t=" + process.env.T)'],
      env: { T: 'secret://env/API_TOKEN' },
    })
    expect(result.stdout).toBe('t=[REDACTED]\n')
  })

  it('redacts the secret from the log as from each stream, whichever stream alone printed it or both did', async () => {
    const run = (code: string) =>
      launcher().run({ file: 'node', args: ['-e', code], env: { T: 'secret://env/API_TOKEN' } })
    const out = await run('process.stdout.write("o=" + process.env.T + "\\n")')
    expect([out.stdout, out.log]).toEqual(['o=[REDACTED]\n', 'o=[REDACTED]\n'])
    const err = await run('process.stderr.write("e=" + process.env.T + "\\n")')
    expect([err.stderr, err.log]).toEqual(['e=[REDACTED]\n', 'e=[REDACTED]\n'])
    const both = await run('console.log("o=" + process.env.T); console.error("e=" + process.env.T)')
    expect(both.log).not.toContain('tok-1234567890')
    expect(both.log).toContain('o=[REDACTED]')
    expect(both.log).toContain('e=[REDACTED]')
  })

  it('fails with a clear error when a secret reference does not resolve', async () => {
    await expect(launcher().run({ file: 'echo', env: { T: 'secret://env/NOPE' } })).rejects.toMatchObject({
      code: 'not_found',
      message: 'secret reference secret://env/NOPE does not resolve: environment variable NOPE is not set',
    })
  })

  it('on timeout ends the whole process group: the child and the grandchildren it started', async () => {
    const marker = `sleep 4${Math.floor(Math.random() * 1000)}.5`
    const script = `${marker.replace('sleep', 'sleep')} & ${marker} & wait`
    const result = await launcher().run({ file: 'sh', args: ['-c', script], timeoutMs: 300 })
    expect(result.timedOut).toBe(true)
    expect(result.exitCode).toBeNull()
    expect(await running(marker)).toEqual([])
  })

  it('escalates to SIGKILL for a child that ignores SIGTERM', async () => {
    // Cancelled once the child says it ignores SIGTERM (a file it writes), not after a fixed
    // time a slow start could outlast; a timeout takes the same path.
    const ready = path.join(root, 'ready')
    const controller = new AbortController()
    const started = Date.now()
    const run = launcher({ killGraceMs: 200 }).run({
      file: 'node',
      args: [
        '-e',
        `process.on("SIGTERM", () => {}); require("fs").writeFileSync(${JSON.stringify(ready)}, ""); setInterval(() => {}, 1000)`,
      ],
      signal: controller.signal,
    })
    const { access } = await import('node:fs/promises')
    while (
      !(await access(ready).then(
        () => true,
        () => false,
      ))
    )
      await new Promise((r) => setTimeout(r, 10))
    controller.abort()
    expect(await run).toMatchObject({ cancelled: true, signal: 'SIGKILL' })
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('cancels through the abort signal', async () => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)
    const result = await launcher().run({ file: 'sleep', args: ['30'], signal: controller.signal })
    expect(result).toMatchObject({ cancelled: true, timedOut: false })
  })

  it('caps captured output and keeps the full log as an artifact', async () => {
    const result = await launcher().run({
      file: 'node',
      args: ['-e', 'process.stdout.write("a".repeat(100000) + "END")'],
      maxOutputBytes: 1000,
    })
    expect(result.stdout).toHaveLength(1000)
    expect(result.stdoutTruncated).toBe(true)
    expect(result.logArtifact).toMatch(/^artifact:\/\/sha256\//)
    expect(logs[0]).toHaveLength(100003)
  })

  it('caps the log itself at launcher.max_log_bytes', async () => {
    const result = await launcher({ maxLogBytes: 5000 }).run({
      file: 'node',
      args: ['-e', 'process.stdout.write("b".repeat(100000))'],
      maxOutputBytes: 100,
    })
    expect(result.log.startsWith('b'.repeat(5000))).toBe(true)
    expect(result.log).toContain('log cut at 5000 bytes')
  })

  it('applies CPU limits through prlimit', async () => {
    const result = await launcher().run({
      file: 'node',
      args: ['-e', 'for(;;){}'],
      limits: { cpuSeconds: 1 },
      timeoutMs: 20_000,
    })
    expect(result.timedOut).toBe(false)
    expect(['SIGXCPU', 'SIGKILL']).toContain(result.signal)
  })

  it.runIf(bwrapAvailable())('runs a network: none command without network', async () => {
    const code =
      'require("net").connect(53, "1.1.1.1").on("connect", () => { console.log("connected"); process.exit(0) }).on("error", (e) => { console.log(e.code); process.exit(3) })'
    const result = await launcher().run({ file: 'node', args: ['-e', code], isolation: { network: 'none' } })
    expect(result.stdout.trim()).toMatch(/ENETUNREACH|EHOSTUNREACH|ECONNREFUSED|EAI_AGAIN/)
    expect(result.exitCode).toBe(3)
  })

  it('fails closed when isolation is required and no tool here can provide it', () => {
    const without = { preference: 'unshare', containment: 'off' } as const
    expect(() => wrapCommand(['/bin/true'], { readOnlyExcept: ['/tmp'] }, {}, without)).toThrow(/bubblewrap/)
    expect(() => wrapCommand(['/bin/true'], { hidePaths: ['/etc'] }, {}, without)).toThrow(/bubblewrap/)
    // unshare cannot keep a child from Unix sockets, so network: none needs bubblewrap too.
    expect(() => wrapCommand(['/bin/true'], { network: 'none' }, {}, without)).toThrow(/bubblewrap/)
    // And nothing runs outside a PID namespace unless launcher.containment is off.
    expect(() => wrapCommand(['/bin/true'], {}, {}, { ...without, containment: 'required' })).toThrow(
      /PID namespace/,
    )
    expect(wrapCommand(['/bin/true'], {}, {}, without)).toEqual({ argv: ['/bin/true'], contained: false })
  })
})

describe('launcher.resolve', () => {
  it('names the program run would start, without starting it', () => {
    const l = testLauncher(root, { allowlist: ['true', 'bin/tool'] })
    expect(l.resolve('true')).toMatch(/\/true$/)
    expect(l.resolve('bin/tool')).toBe(path.join(root, 'bin/tool'))
  })

  it('refuses what run would refuse: not allowlisted, or allowlisted but not installed', () => {
    const l = testLauncher(root, { allowlist: ['true', 'not-installed-anywhere', 'bin/tool'] })
    expect(() => l.resolve('sh')).toThrow(expect.objectContaining({ code: 'forbidden' }))
    expect(() => l.resolve('../bin/tool')).toThrow(expect.objectContaining({ code: 'forbidden' }))
    expect(() => l.resolve('not-installed-anywhere')).toThrow(
      expect.objectContaining({ code: 'unavailable' }),
    )
  })
})
