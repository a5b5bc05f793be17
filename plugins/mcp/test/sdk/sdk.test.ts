import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CLI,
  HELLO,
  eventually,
  httpServer,
  linkPlugin,
  mcpProject,
  REPO,
  runCli,
  type TempProject,
} from '../helpers.js'

const TSC = path.join(REPO, 'node_modules/typescript/bin/tsc')

// A program a user would write against the generated SDK: typed calls, typed errors.
const CONSUMER = `import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { DriftcoreSdk, DriftcoreToolError, type HelloGreetOutput } from './sdk/index.js'

const [cli, home] = process.argv.slice(2)
const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined))
const client = new Client({ name: 'sdk-consumer', version: '1.0.0' })
await client.connect(new StdioClientTransport({ command: process.execPath, args: [cli!, 'mcp', 'serve', '--home', home!], env }))
const sdk = new DriftcoreSdk(client)
const greeting: HelloGreetOutput = await sdk.helloGreet({ name: 'typed' })
const config = await sdk.configEffective()
let approvalId: string | undefined
let code: string | undefined
try {
  await sdk.helloShout({ words: ['needs', 'a', 'person'] })
} catch (error) {
  if (!(error instanceof DriftcoreToolError)) throw error
  approvalId = error.approvalId
  code = error.code
}
console.log(JSON.stringify({ greeting: greeting.greeting, calls: greeting.calls, hash: config.hash, approvalId, code }))
await client.close()
`

const STRICT = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    noImplicitOverride: true,
    skipLibCheck: true,
    types: ['node'],
    outDir: 'out',
  },
}

describe('sdk generate', () => {
  let project: TempProject
  let work: string

  beforeAll(async () => {
    project = await mcpProject({ plugins: [HELLO] })
    // The consumer lives outside the repository, as a user's project would; node_modules is linked in.
    work = await mkdtemp(path.join(os.tmpdir(), 'driftcore-sdk-'))
    await symlink(path.join(REPO, 'node_modules'), path.join(work, 'node_modules'))
    await writeFile(path.join(work, 'package.json'), '{"type": "module"}\n')
    await writeFile(path.join(work, 'tsconfig.json'), JSON.stringify(STRICT))
  })
  afterAll(async () => {
    await rm(work, { recursive: true, force: true })
    await project.cleanup()
  })

  it('writes an SDK that compiles under tsc --strict, calls a live server, and rejects wrong input at compile time', async () => {
    const generated = await runCli(project, ['sdk', 'generate', '--out', path.join(work, 'sdk'), '--json'])
    expect(generated.exitCode, generated.stderr).toBe(0)
    const report = JSON.parse(generated.stdout) as { tools: string[]; written: string[] }
    expect(report.tools).toEqual(expect.arrayContaining(['hello.greet', 'hello.shout', 'config.effective']))
    expect(report.written).toEqual(['types.ts', 'client.ts', 'index.ts', 'catalog.json'])
    const client = await readFile(path.join(work, 'sdk/client.ts'), 'utf8')
    expect(client).toContain('   * Returns a greeting. Read-only.')
    expect(client).toContain(
      'helloGreet(input: T.HelloGreetInput, options: CallOptions = {}): Promise<T.HelloGreetOutput>',
    )

    await writeFile(path.join(work, 'consumer.ts'), CONSUMER)
    const tsc = await execa('node', [TSC, '-p', work], { reject: false })
    expect(tsc.exitCode, String(tsc.stdout)).toBe(0)

    const run = await execa('node', [path.join(work, 'out/consumer.js'), CLI, project.home], {
      cwd: project.dir,
      env: project.env,
      extendEnv: false,
      reject: false,
    })
    expect(run.exitCode, String(run.stderr)).toBe(0)
    const result = JSON.parse(String(run.stdout)) as Record<string, unknown>
    expect(result).toMatchObject({ greeting: 'hello typed', code: 'approval_required' })
    expect(result.hash).toMatch(/^[0-9a-f]{64}$/)
    expect(result.approvalId).toMatch(/^apr_[0-9a-f]+$/)

    // The types are real: a call with the wrong input does not compile.
    await writeFile(
      path.join(work, 'wrong.ts'),
      `import type { DriftcoreSdk } from './sdk/index.js'\nexport const call = (sdk: DriftcoreSdk) => sdk.helloGreet({ name: 42 })\n`,
    )
    const wrong = await execa('node', [TSC, '-p', work, '--noEmit'], { reject: false })
    await rm(path.join(work, 'wrong.ts'))
    expect(wrong.exitCode).not.toBe(0)
    expect(String(wrong.stdout)).toMatch(/wrong\.ts.*Type 'number' is not assignable to type 'string'/)
  })

  it('refuses to write into a folder holding files it did not generate', async () => {
    const mine = path.join(work, 'mine')
    await runCli(project, ['sdk', 'generate', '--out', mine]) // creates it
    await writeFile(path.join(work, 'other.txt'), 'not generated')
    const refused = await runCli(project, ['sdk', 'generate', '--out', work])
    expect(refused.exitCode).toBe(6)
    expect(refused.stderr).toContain('holds files driftcore did not generate')
  })

  it('regenerates with --watch when a plugin adds tools to the catalog', async () => {
    const bare = await mcpProject({ plugins: [] })
    const out = path.join(work, 'watched')
    const watcher = execa('node', [CLI, 'sdk', 'generate', '--out', out, '--watch'], {
      cwd: bare.dir,
      env: bare.env,
      extendEnv: false,
      reject: false,
    })
    let stderr = ''
    watcher.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    try {
      await eventually(() => (stderr.includes('watching the catalog') ? true : undefined), 30_000)
      expect(await readFile(path.join(out, 'client.ts'), 'utf8')).not.toContain('helloGreet(')
      await linkPlugin(bare, HELLO)
      await eventually(async () => {
        const text = await readFile(path.join(out, 'client.ts'), 'utf8')
        return text.includes('helloGreet(') ? true : undefined
      }, 30_000)
    } finally {
      watcher.kill('SIGINT')
      const done = await watcher
      await bare.cleanup()
      expect(done.exitCode, stderr).toBe(0)
    }
  })
})

describe('sdk snapshot and sdk check', () => {
  it('passes an unchanged catalog and fails, exit 6, on a removed tool or a new required input', async () => {
    const project = await mcpProject({ plugins: [HELLO] })
    const file = path.join(project.dir, 'catalog.json')
    try {
      const written = await runCli(project, ['sdk', 'snapshot', '--out', file])
      expect(written.exitCode, written.stderr).toBe(0)
      const same = await runCli(project, ['sdk', 'check', '--snapshot', file, '--json'])
      expect(same.exitCode, same.stderr).toBe(0)
      expect(JSON.parse(same.stdout)).toEqual({ breaking: [], compatible: [] })

      // A snapshot in which hello.greet took no required input: the live tool now requires one.
      const snapshot = JSON.parse(await readFile(file, 'utf8')) as {
        tools: { name: string; inputSchema: Record<string, unknown> }[]
      }
      delete snapshot.tools.find((t) => t.name === 'hello.greet')!.inputSchema.required
      snapshot.tools.push({ name: 'hello.gone', inputSchema: { type: 'object' } })
      await writeFile(file, JSON.stringify(snapshot))
      const broken = await runCli(project, ['sdk', 'check', '--snapshot', file])
      expect(broken.exitCode).toBe(6)
      expect(broken.stdout).toContain('breaking    tool hello.greet: input.name is a new required input')
      expect(broken.stdout).toContain('breaking    tool hello.gone was removed')
      expect(broken.stderr).toContain('2 breaking changes')
    } finally {
      await project.cleanup()
    }
  })

  it('reads the live catalog over HTTP with the token, and rejects a file that is not a snapshot', async () => {
    const project = await mcpProject({ plugins: [HELLO] })
    const token = 'sdk-check-over-http-token-0123456789'
    const server = await httpServer(project, { env: { DRIFTCORE_MCP_TOKEN: token } })
    try {
      const env = { DRIFTCORE_MCP_TOKEN: token }
      const file = path.join(project.dir, 'catalog.json')
      const written = await runCli(project, ['sdk', 'snapshot', '--server', server.url, '--out', file], {
        env,
      })
      expect(written.exitCode, written.stderr).toBe(0)
      expect(written.stderr).toMatch(/catalog\.json: \d+ tools, 2 prompts/)
      const checked = await runCli(project, ['sdk', 'check', '--snapshot', file, '--server', server.url], {
        env,
      })
      expect(checked.exitCode, checked.stderr).toBe(0)
      const noToken = await runCli(project, ['sdk', 'check', '--snapshot', file, '--server', server.url], {
        env: { DRIFTCORE_MCP_TOKEN: 'wrong-token-wrong-token-wrong' },
      })
      expect(noToken.exitCode).toBe(9)

      await writeFile(file, '{"tools": []}')
      const bad = await runCli(project, ['sdk', 'check', '--snapshot', file, '--server', server.url], { env })
      expect(bad.exitCode).toBe(2)
      expect(bad.stderr).toContain('is not a catalog snapshot: format')
    } finally {
      await server.stop()
      await project.cleanup()
    }
  })
})
