import { Config } from '@oclif/core'
import { execa } from 'execa'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HELLO, linkPlugin } from '../../plugins/mcp/test/helpers.js'
import { parseDirectCall } from '../../src/cli/direct-call.js'
import { findCorePlugins, oclifDirs } from '../../src/kernel/core-plugins.js'
import { CLI, REPO, json, runCli, tempProject, type TempProject } from '../helpers/project.js'

// `tools call` has an entry without oclif (dist/cli/direct-call.js) that bin/run.js routes to
// when the installed plugins are only the shipped ones: it must print exactly what the oclif
// command prints and exit with the same code, find exactly the plugins oclif finds, and leave
// every other command line and every other install to oclif. DRIFTCORE_DIRECT=0 is the oclif path.

const OCLIF = { DRIFTCORE_DIRECT: '0' }
const POLICY = `apiVersion: driftcore/v1
kind: PolicyBundle
name: p
rules:
  - id: ask-config-set
    decision: REQUIRE_APPROVAL
    match: { tools: [config.set] }
  - id: reads-run
    decision: ALLOW
    match: { tools: [config.effective, policy.simulate, audit.verify] }
`

// What differs between two runs of one call: its trace and approval ids, its timing.
function stable(text: string): string {
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/apr_[0-9a-z]+/g, 'apr_<id>')
    .replace(/"duration_ms": [\d.]+/g, '"duration_ms": <n>')
    .replace(/· [\d.]+ ms/g, '· <n> ms')
    .replace(/"(created_at|expires_at)": "[^"]+"/g, '"$1": "<time>"')
}

let project: TempProject
beforeAll(async () => {
  project = await tempProject({ policy: { 'rules.yaml': POLICY } })
  await writeFile(path.join(project.dir, 'input.json'), '{"tool":"audit.verify"}')
})
afterAll(() => project.cleanup())

async function both(args: string[], env: NodeJS.ProcessEnv = {}, input?: string) {
  const stdin = input === undefined ? {} : { input }
  const direct = await runCli(project, args, { env, ...stdin })
  const oclif = await runCli(project, args, { env: { ...env, ...OCLIF }, ...stdin })
  const view = (r: typeof direct) => ({
    exitCode: r.exitCode,
    stdout: stable(r.stdout),
    stderr: stable(r.stderr),
  })
  return { direct: view(direct), oclif: view(oclif) }
}

describe('tools call without oclif', () => {
  it('prints what the oclif command prints, for JSON and text, and fails the same way', async () => {
    const lines: [string[], NodeJS.ProcessEnv?][] = [
      [['tools', 'call', 'config.effective']],
      [['tools', 'call', 'config.effective', '--json']],
      [['tools', 'call', '--json', 'policy.simulate', '-i', '{"tool":"audit.verify"}']],
      [['tools', 'call', 'policy.simulate', '--input=@input.json']],
      [['tools', 'call', 'audit.verify', '--dry-run']],
      [['tools', 'call', 'config.set', '--input', '{"key":"project.name","value":"x"}']],
      [['tools', 'call', 'config.set', '--input', '{"key":"project.name","value":"x"}', '--json']],
      [['tools', 'call', 'no.such', '--json']],
      [['tools', 'call', 'no.such']],
      [['tools', 'call', 'config.effective', '--input', '{"unexpected":true}']],
      [['tools', 'call', 'config.effective', '--input', '{not json']],
      [['tools', 'call', 'config.effective', '-c', 'audit.fsync=off', '--json']],
      [['tools', 'call', 'config.effective', '-c', 'project.environment=prod', '-c', 'nope=1']],
      [['tools', 'call', 'config.effective', '--home', path.join('nowhere', '.driftcore'), '--json']],
      [['tools', 'call', 'config.effective', '--approval', 'apr_000000000000']],
      [['tools', 'call', 'config.effective'], { DRIFTCORE_ACTOR: 'robot' }],
      [['tools', 'call', 'config.effective', '--json'], { DRIFTCORE_ACTOR: 'agent:claude' }],
    ]
    for (const [args, env] of lines) {
      const { direct, oclif } = await both(args, env)
      expect(direct, args.join(' ')).toEqual(oclif)
    }
    // Input on stdin (`--input -`), as an agent pipes it.
    const piped = await both(
      ['tools', 'call', 'policy.simulate', '--input', '-', '--json'],
      {},
      '{"tool":"audit.verify"}',
    )
    expect(piped.direct).toEqual(piped.oclif)
    expect(piped.direct.exitCode, piped.direct.stderr).toBe(0)
    expect(piped.direct.stdout).toMatch(/"output": \{\s+"decision": "ALLOW"/)
  }, 240_000)

  it('records the same trail as the oclif command', async () => {
    const trail = async (env: NodeJS.ProcessEnv) => {
      const called = await runCli(project, ['tools', 'call', 'config.effective', '--json'], { env })
      expect(called.exitCode, called.stderr).toBe(0)
      const trace = json<{ trace_id: string }>(called).trace_id
      const query = await runCli(project, ['audit', 'query', '--trace', trace, '--json'])
      return json<{ type: string; actor: unknown; subject: string }[]>(query).map((r) => [
        r.type,
        r.actor,
        r.subject,
      ])
    }
    expect(await trail({})).toEqual(await trail(OCLIF))
    expect((await trail({})).map(([type]) => type)).toContain('tool.call')
  })

  it('finds exactly the plugins, hook files and config folder oclif finds', async () => {
    const envs: NodeJS.ProcessEnv[] = [
      project.env,
      { ...project.env, XDG_CONFIG_HOME: '', XDG_DATA_HOME: '' },
      {
        ...project.env,
        DRIFTCORE_CONFIG_DIR: path.join(project.dir, 'cfg'),
        DRIFTCORE_DATA_DIR: path.join(project.dir, 'data'),
      },
    ]
    const saved = { ...process.env }
    try {
      for (const env of envs) {
        for (const key of Object.keys(process.env)) delete process.env[key]
        Object.assign(process.env, env)
        const config = await Config.load({ root: REPO })
        const ours = findCorePlugins(REPO, env)
        expect(ours, JSON.stringify(env)).toBeDefined()
        expect(ours!.configDir).toBe(config.configDir)
        const theirs = config.getPluginsList().map((p) => ({
          name: p.name,
          isRoot: p.isRoot,
          root: p.root,
          hookFiles: (p.hooks['driftcore:capabilities'] ?? []).map((h) => path.join(p.root, h.target)),
        }))
        const found = ours!.plugins.map(({ name, isRoot, root, hookFiles }) => ({
          name,
          isRoot,
          root,
          hookFiles,
        }))
        const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : 1)
        expect(found.sort(byName)).toEqual(theirs.sort(byName))
        expect(oclifDirs({ name: 'driftcore' }, env).dataDir).toBe(config.dataDir)
      }
    } finally {
      for (const key of Object.keys(process.env)) delete process.env[key]
      Object.assign(process.env, saved)
    }
  })

  it('loads neither oclif nor any plugin manifest', async () => {
    // Unbundled, so each module is its own file and a resolution of @oclif/core shows by name.
    const hook = path.join(project.dir, 'watch.cjs')
    await writeFile(
      hook,
      `const { registerHooks } = require('node:module')
const seen = []
registerHooks({ resolve(specifier, context, next) { seen.push(specifier); return next(specifier, context) } })
process.on('exit', () => require('node:fs').writeSync(2, '\\nRESOLVED ' + JSON.stringify(seen) + '\\n'))
`,
    )
    const run = async (env: NodeJS.ProcessEnv) => {
      const r = await execa('node', ['--require', hook, CLI, 'tools', 'call', 'config.effective', '--json'], {
        cwd: project.dir,
        env: { ...project.env, DRIFTCORE_BUNDLE: '0', ...env },
        extendEnv: false,
        reject: false,
      })
      expect(r.exitCode, String(r.stderr)).toBe(0)
      return JSON.parse(/RESOLVED (.*)/.exec(String(r.stderr))![1]!) as string[]
    }
    const direct = await run({})
    expect(direct.filter((s) => s.startsWith('@oclif/'))).toEqual([])
    expect(direct).toContain('zod')
    // The check can fail: the oclif path resolves it.
    expect(await run(OCLIF)).toContain('@oclif/core')
  })

  it('leaves an install with a linked plugin to oclif, which finds its tools', async () => {
    const linked = await tempProject()
    try {
      await linkPlugin(linked, HELLO)
      const dataDir = path.join(linked.env.XDG_DATA_HOME!, 'driftcore')
      expect(findCorePlugins(REPO, linked.env), dataDir).toBeUndefined()
      const called = await runCli(linked, [
        'tools',
        'call',
        'hello.greet',
        '--input',
        '{"name":"x"}',
        '--json',
      ])
      expect(called.exitCode, called.stderr).toBe(0)
      expect(json(called).output.greeting).toBe('hello x')
    } finally {
      await linked.cleanup()
    }
  }, 120_000)

  it('an unreadable or edited data dir package.json sends the call to oclif, never to a guess', async () => {
    const dataDir = path.join(project.dir, 'user-data')
    const env = { ...project.env, DRIFTCORE_DATA_DIR: dataDir }
    await mkdir(dataDir, { recursive: true })
    await writeFile(path.join(dataDir, 'package.json'), '{"oclif": {"plugins": [')
    expect(findCorePlugins(REPO, env)).toBeUndefined()
    await writeFile(path.join(dataDir, 'package.json'), JSON.stringify({ oclif: { plugins: [] } }))
    expect(findCorePlugins(REPO, env)).toBeDefined()
    await writeFile(
      path.join(dataDir, 'package.json'),
      JSON.stringify({ oclif: { plugins: [{ type: 'user', name: 'driftcore-plugin-x' }] } }),
    )
    expect(findCorePlugins(REPO, env)).toBeUndefined()
    for (const NODE_ENV of ['development', 'test'])
      expect(findCorePlugins(REPO, { ...project.env, NODE_ENV }), NODE_ENV).toBeUndefined()
  })

  it('answers only the command lines it parses exactly as oclif does', () => {
    expect(
      parseDirectCall(
        ['tools', 'call', '-c', 'a=1', 'x.y', '--input=@f.json', '--config', 'b=2', '--json', '--dry-run'],
        {},
        false,
      ),
    ).toEqual({
      id: 'x.y',
      json: true,
      config: ['a=1', 'b=2'],
      flags: { input: '@f.json', dryRun: true, idempotencyKey: undefined, approval: undefined },
    })
    expect(
      parseDirectCall(
        ['tools', 'call', 'x.y', '--idempotency-key', 'k', '--approval=apr_1', '--home', 'h'],
        {},
        false,
      ),
    ).toMatchObject({ home: 'h', flags: { idempotencyKey: 'k', approval: 'apr_1' } })
    const refused: [string[], NodeJS.ProcessEnv?, boolean?][] = [
      [['tools', 'list']],
      [['tools', 'call']],
      [['tools', 'call', 'x.y', 'extra']],
      [['tools', 'call', '']],
      [['tools', 'call', 'x.y', '--help']],
      [['tools', 'call', 'x.y', '-h']],
      [['tools', 'call', 'x.y', '-i{"a":1}']],
      [['tools', 'call', 'x.y', '--input', '{}', '--input', '{}']],
      [['tools', 'call', 'x.y', '--input']],
      [['tools', 'call', 'x.y', '--input', '--json']],
      [['tools', 'call', 'x.y', '--input', '-x']],
      [['tools', 'call', 'x.y', '--json', '--json']],
      [['tools', 'call', 'x.y', '--dry-run=true']],
      [['tools', 'call', 'x.y', '--no-dry-run']],
      [['tools', 'call', '--', 'x.y']],
      [['tools', 'call', 'x.y', '--server', 'http://127.0.0.1:1']],
      [['tools', 'call', 'x.y'], { DRIFTCORE_DIRECT: '0' }],
      [['tools', 'call', 'x.y'], { DRIFTCORE_CONTENT_TYPE: 'json' }],
      [['tools', 'call', 'x.y'], { DEBUG: '*' }],
      [['tools', 'call', 'x.y', '--json'], {}, true],
      [['tools', 'call', 'x.y', '--json'], { FORCE_COLOR: '1' }],
    ]
    for (const [argv, env, tty] of refused)
      expect(parseDirectCall(argv, env ?? {}, tty ?? false), argv.join(' ')).toBeUndefined()
    expect(parseDirectCall(['tools', 'call', 'x.y', '-i', '-'], {}, false)?.flags.input).toBe('-')
    // Text output to a terminal is plain in both paths.
    expect(parseDirectCall(['tools', 'call', 'x.y'], {}, true)).toBeDefined()
  })
})
