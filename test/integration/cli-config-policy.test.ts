import { cp, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { execa } from 'execa'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FIXTURES, json, REPO, runCli, tempProject, type TempProject } from '../helpers/project.js'

let project: TempProject
beforeEach(async () => {
  project = await tempProject()
})
afterEach(() => project.cleanup())

describe('config on the command line', () => {
  it('set, get and effective --explain show the value and the layer that set it', async () => {
    expect((await runCli(project, ['config', 'set', 'audit.fsync', 'always'])).exitCode).toBe(0)
    // project.environment is protected: env may set it because the project config says so.
    expect(
      (await runCli(project, ['config', 'set', 'config.allow_overrides', '[project.environment]'])).exitCode,
    ).toBe(0)
    expect(
      (await runCli(project, ['config', 'set', 'project.name', 'from-user', '--layer', 'user'])).exitCode,
    ).toBe(0)
    expect((await runCli(project, ['config', 'get', 'audit.fsync'])).stdout.trim()).toBe('always')
    const env = { DRIFTCORE_PROJECT__ENVIRONMENT: 'prod' }
    const explained = json(
      await runCli(project, ['config', 'effective', '--explain', '--json', '-c', 'workflow.concurrency=3'], {
        env,
      }),
    )
    const layerOf = (key: string) => explained.keys.find((k: { key: string }) => k.key === key)
    expect(layerOf('audit.fsync')).toEqual({ key: 'audit.fsync', value: 'always', layer: 'project' })
    expect(layerOf('project.name')).toMatchObject({ value: 'from-user', layer: 'user' })
    expect(layerOf('project.environment')).toMatchObject({ value: 'prod', layer: 'env' })
    expect(layerOf('workflow.concurrency')).toMatchObject({ value: 3, layer: 'flag' })
    expect(explained.hash).toMatch(/^[0-9a-f]{64}$/)
    const text = await runCli(project, ['config', 'effective', '--explain'], { env })
    expect(text.stdout).toMatch(/project\.environment\s+prod\s+env/)
  })

  it('config set refuses an unknown key and a bad value, and writes nothing', async () => {
    const file = path.join(project.home, 'config.yaml')
    await writeFile(file, '# mine\nproject:\n  name: x\n')
    const unknown = await runCli(project, ['config', 'set', 'audit.fsink', 'always'])
    expect(unknown.exitCode).toBe(2)
    expect(unknown.stderr).toContain('unknown config key "audit.fsink"')
    const bad = await runCli(project, ['config', 'set', 'audit.batch_interval_ms', 'soon'])
    expect(bad.exitCode).toBe(2)
    expect(await readFile(file, 'utf8')).toBe('# mine\nproject:\n  name: x\n')
  })

  it('config validate names the file, line and column of a problem', async () => {
    await writeFile(
      path.join(project.home, 'config.yaml'),
      'project:\n  name: x\nlauncher:\n  allowlist: git\n',
    )
    const r = await runCli(project, ['config', 'validate'])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain(`${path.join(project.home, 'config.yaml')}:4:14: launcher.allowlist:`)
  })
})

describe('policy on the command line', () => {
  it('simulate decides without recording; evaluate records the decision; explain shows every rule', async () => {
    const simulated = json(await runCli(project, ['policy', 'simulate', '--tool', 'audit.verify', '--json']))
    expect(simulated).toMatchObject({
      decision: 'ALLOW',
      deciding_rule: 'allow-read-only',
      snapshot: { version: 1 },
    })
    const before = json(await runCli(project, ['audit', 'query', '--type', 'policy.decision', '--json']))
    expect(before).toEqual([])
    const evaluated = json(
      await runCli(project, [
        'policy',
        'evaluate',
        '--tool',
        'x.write',
        '--risk',
        'write',
        '--capability',
        'x',
        '--json',
      ]),
    )
    expect(evaluated.decision).toBe('REQUIRE_APPROVAL')
    const after = json(await runCli(project, ['audit', 'query', '--type', 'policy.decision', '--json']))
    expect(after).toHaveLength(1)
    const explained = await runCli(project, [
      'policy',
      'explain',
      '--tool',
      'x.net',
      '--risk',
      'network',
      '--capability',
      'x',
    ])
    expect(explained.stdout).toContain('· default/allow-read-only → ALLOW')
    expect(explained.stdout).toContain('decision: DENY — no rule matched: denied by default')
  })

  it('simulate --bundle tries a draft without publishing it', async () => {
    const draft = path.join(project.dir, 'draft.yaml')
    await writeFile(
      draft,
      'apiVersion: driftcore/v1\nkind: PolicyBundle\nname: draft\nrules:\n  - id: no-agents\n    decision: DENY\n    match:\n      actors: { types: [agent] }\n',
    )
    const r = json(
      await runCli(project, [
        'policy',
        'simulate',
        '--tool',
        'audit.verify',
        '--actor',
        'agent:x',
        '--bundle',
        draft,
        '--json',
      ]),
    )
    expect(r).toMatchObject({ decision: 'DENY', deciding_rule: 'no-agents' })
    const snapshots = json(await runCli(project, ['policy', 'snapshots', '--json']))
    expect(snapshots.snapshots).toHaveLength(1)
  })

  it('keygen, sign, verify and publish with trusted keys; a bad signature is refused with exit 8 and the old snapshot stays', async () => {
    const prefix = path.join(project.dir, 'keys', 'policy')
    const keys = json(await runCli(project, ['policy', 'keygen', '--out', prefix, '--json']))
    expect((await stat(keys.privateKey)).mode & 0o777).toBe(0o600)
    // config set is a tool call: the built-in policy lets a person make it. (The project bundle
    // below allows reads only, so once it is published config.set is denied.)
    expect(
      (await runCli(project, ['config', 'set', 'policy.trusted_keys', `[${keys.publicKey}]`])).exitCode,
    ).toBe(0)
    await mkdir(path.join(project.home, 'policy'), { recursive: true })
    const bundle = path.join(project.home, 'policy', 'project.yaml')
    await writeFile(
      bundle,
      'apiVersion: driftcore/v1\nkind: PolicyBundle\nname: project\nrules:\n  - id: reads\n    decision: ALLOW\n    match:\n      risk_tags: [read]\n',
    )
    expect((await runCli(project, ['policy', 'sign', bundle, '--key', keys.privateKey])).exitCode).toBe(0)
    const verified = json(await runCli(project, ['policy', 'verify', bundle, '--json']))
    expect(verified).toMatchObject({ name: 'project', rules: 1, signed_by: keys.fingerprint })
    const published = json(await runCli(project, ['policy', 'publish', '--json']))
    await writeFile(bundle, (await readFile(bundle, 'utf8')).replace('ALLOW', 'DENY'))
    const refused = await runCli(project, ['policy', 'publish'])
    expect(refused.exitCode).toBe(8)
    expect(refused.stderr).toContain('bad signature')
    const verifyBad = await runCli(project, ['policy', 'verify', bundle])
    expect(verifyBad.exitCode).toBe(8)
    const decision = json(await runCli(project, ['policy', 'simulate', '--tool', 'audit.verify', '--json']))
    expect(decision).toMatchObject({ decision: 'ALLOW', snapshot: { version: published.version } })
    const refusals = json(await runCli(project, ['audit', 'query', '--type', 'policy.refused', '--json']))
    expect(refusals.length).toBeGreaterThanOrEqual(1)
  })

  it('rollback pins an earlier snapshot until the next publish', async () => {
    await mkdir(path.join(project.home, 'policy'), { recursive: true })
    const bundle = path.join(project.home, 'policy', 'p.yaml')
    const write = (d: string) =>
      writeFile(
        bundle,
        `apiVersion: driftcore/v1\nkind: PolicyBundle\nname: p\nrules:\n  - id: all\n    decision: ${d}\n`,
      )
    await write('DENY')
    await runCli(project, ['policy', 'publish'])
    await write('ALLOW')
    await runCli(project, ['policy', 'publish'])
    expect(json(await runCli(project, ['policy', 'rollback', '--json']))).toMatchObject({
      version: 1,
      pinned: true,
    })
    expect(
      json(await runCli(project, ['policy', 'simulate', '--tool', 'audit.verify', '--json'])).decision,
    ).toBe('DENY')
    // Publishing again makes a new snapshot (the history stays append-only) and lifts the pin.
    expect(json(await runCli(project, ['policy', 'publish', '--json'])).version).toBe(3)
    expect(
      json(await runCli(project, ['policy', 'simulate', '--tool', 'audit.verify', '--json'])).decision,
    ).toBe('ALLOW')
  })
})

describe('plugins', () => {
  it('a separately packaged plugin can be installed, adds tools, and is gone after uninstall', async () => {
    const packed = await execa(
      'npm',
      ['pack', path.join(FIXTURES, 'plugins/hello'), '--pack-destination', project.dir, '--silent'],
      { env: project.env },
    )
    const tarball = path.join(project.dir, String(packed.stdout).trim().split('\n').at(-1)!)
    const installed = await runCli(project, ['plugins', 'install', `file:${tarball}`], { timeoutMs: 120_000 })
    expect(installed.exitCode, installed.stderr).toBe(0)
    const tools = json(await runCli(project, ['tools', 'list', '--json']))
    expect(tools.find((t: { id: string }) => t.id === 'hello.greet')).toMatchObject({
      plugin: 'driftcore-plugin-hello',
    })
    expect(
      json(
        await runCli(project, ['tools', 'call', 'hello.greet', '--input', '{"name":"installed"}', '--json']),
      ).output.greeting,
    ).toBe('hello installed')
    const described = json(await runCli(project, ['tools', 'describe', 'hello.greet', '--json']))
    expect(described.input_schema).toMatchObject({
      type: 'object',
      properties: { name: { type: 'string', minLength: 1 } },
      required: ['name'],
    })
    expect((await runCli(project, ['plugins', 'uninstall', 'driftcore-plugin-hello'])).exitCode).toBe(0)
    expect(
      json(await runCli(project, ['tools', 'list', '--json'])).some((t: { id: string }) =>
        t.id.startsWith('hello.'),
      ),
    ).toBe(false)
  }, 180_000)

  it('a linked plugin works the same way and unlinks cleanly', async () => {
    expect((await runCli(project, ['plugins', 'link', path.join(FIXTURES, 'plugins/hello')])).exitCode).toBe(
      0,
    )
    expect(
      json(await runCli(project, ['tools', 'list', '--json'])).map((t: { id: string }) => t.id),
    ).toContain('hello.shout')
    expect((await runCli(project, ['plugins', 'unlink', 'driftcore-plugin-hello'])).exitCode).toBe(0)
    expect(
      json(await runCli(project, ['tools', 'list', '--json'])).map((t: { id: string }) => t.id),
    ).not.toContain('hello.shout')
  })
})

describe('the tool catalog', () => {
  it('is served from cache until a plugin changes, then rebuilt', async () => {
    const copy = path.join(project.dir, 'hello-plugin')
    await cp(path.join(FIXTURES, 'plugins/hello'), copy, { recursive: true })
    await symlink(path.join(REPO, 'node_modules'), path.join(copy, 'node_modules'))
    expect((await runCli(project, ['plugins', 'link', copy])).exitCode).toBe(0)
    const describe = async () =>
      json(await runCli(project, ['tools', 'describe', 'hello.greet', '--json'])).description as string
    expect(await describe()).toBe('Returns a greeting. Read-only.')
    const hook = path.join(copy, 'hooks/capabilities.js')
    await writeFile(
      hook,
      (await readFile(hook, 'utf8')).replace('Returns a greeting. Read-only.', 'Greets, politely.'),
    )
    expect(await describe()).toBe('Greets, politely.')
  })
})

describe('project commands', () => {
  it('init creates the project and keeps existing files on a second run; doctor reports it healthy', async () => {
    const fresh = await tempProject()
    try {
      const { rm } = await import('node:fs/promises')
      await rm(fresh.home, { recursive: true })
      const first = json(await runCli(fresh, ['init', '--json']))
      expect(first.created.map((f: string) => path.relative(fresh.home, f)).sort()).toEqual([
        '.gitignore',
        'config.yaml',
        'policy/default.yaml',
      ])
      const second = json(await runCli(fresh, ['init', '--json']))
      expect(second.created).toEqual([])
      const doctor = json(await runCli(fresh, ['doctor', '--json']))
      expect(doctor.find((c: { check: string }) => c.check === 'node').status).toBe('ok')
      expect(doctor.find((c: { check: string }) => c.check === 'audit').status).toBe('ok')
      expect(doctor.find((c: { check: string }) => c.check === 'policy').detail).toBe('snapshot v1')
    } finally {
      await fresh.cleanup()
    }
  })
})
