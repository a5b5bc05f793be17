import { mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { stripVTControlCharacters } from 'node:util'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, json, runCli, tempProject, type TempProject } from '../helpers/project.js'

/** What a shell user expects of any oclif CLI, tried the way the new user tried it. */
let project: TempProject
beforeAll(async () => {
  project = await tempProject()
  const init = await runCli(project, ['init'])
  expect(init.exitCode, init.stderr).toBe(0)
})
afterAll(() => project.cleanup())

describe('the command line', () => {
  it('-c takes one value, so the tool id after it stays the argument', async () => {
    const result = await runCli(project, [
      'tools',
      'call',
      '-c',
      'workflow.concurrency=2',
      'audit.verify',
      '--json',
    ])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(json(result).tool).toBe('audit.verify')
    const twice = await runCli(project, [
      'config',
      'get',
      '-c',
      'workflow.concurrency=2',
      '-c',
      'workflow.concurrency=5',
      'workflow.concurrency',
      '--json',
    ])
    expect(json(twice).value).toBe(5)
  })

  it('a parse error under --json is one small invalid_input error, not the parser dump', async () => {
    for (const args of [
      ['tools', 'call', '--bogus', '--json'],
      ['tools', 'call', '--json'],
      ['config', 'set', 'a.b', 'c', '--layer', 'nope', '--json'],
    ]) {
      const result = await runCli(project, args)
      expect(result.exitCode, args.join(' ')).toBe(2)
      expect(result.stdout.length, args.join(' ')).toBeLessThan(1000)
      const { error } = json(result)
      expect(error.code).toBe('invalid_input')
      expect(error.hint).toMatch(/--help$/)
    }
    const human = await runCli(project, ['tools', 'call', '--bogus'])
    expect(human.stderr).toMatch(/^Error: Nonexistent flag: --bogus\n {2}see driftcore tools call --help$/)
    expect(human.stderr).not.toMatch(/USAGE|›/)
  })

  it('driftcore version and driftcore autocomplete exist', async () => {
    const version = await runCli(project, ['version'])
    expect(version.exitCode).toBe(0)
    expect(version.stdout).toMatch(/^driftcore\/\d+\.\d+\.\d+ /)
    const autocomplete = await runCli(project, ['autocomplete', 'bash'])
    expect(autocomplete.exitCode, autocomplete.stderr).toBe(0)
    expect(autocomplete.stdout).toContain('driftcore autocomplete')
  })

  it('a mistyped command asks "did you mean" on a terminal', async () => {
    const child = execa('script', ['-qefc', `node ${CLI} confg get`, '/dev/null'], {
      cwd: project.dir,
      env: { ...project.env, TERM: 'xterm' },
      extendEnv: false,
      reject: false,
      stdin: 'pipe',
      timeout: 60_000,
    })
    let screen = ''
    child.stdout.on('data', (chunk: Buffer) => {
      screen += stripVTControlCharacters(chunk.toString('utf8'))
      if (screen.includes('Did you mean config get?')) child.stdin.write('n\r')
    })
    const result = await child
    expect(screen).toContain('confg get is not a driftcore command')
    expect(screen).toContain('Did you mean config get?')
    expect(result.exitCode).toBe(127)
  })
})

describe('driftcore config unset', () => {
  it('removes the key from the layer file, audited; the default decides again', async () => {
    await runCli(project, ['config', 'set', 'workflow.concurrency', '3'])
    const unset = await runCli(project, ['config', 'unset', 'workflow.concurrency', '--json'])
    expect(unset.exitCode, unset.stderr).toBe(0)
    expect(json(unset)).toMatchObject({ key: 'workflow.concurrency', value: 16, overridden_by: 'default' })
    expect(await readFile(path.join(project.home, 'config.yaml'), 'utf8')).not.toMatch(/^workflow:/m)
    const records = await runCli(project, ['audit', 'query', '--type', 'config.changed', '--json'])
    expect(JSON.stringify(json(records))).toContain('workflow.concurrency')
    const again = await runCli(project, ['config', 'unset', 'workflow.concurrency'])
    expect(again.exitCode).toBe(3)
    expect(again.stderr).toContain('workflow.concurrency is not set in the project layer')
  })
})

describe('policy.trusted_keys', () => {
  it('config set refuses a key file that does not exist, and reads relative paths from the project folder', async () => {
    const before = await readFile(path.join(project.home, 'config.yaml'), 'utf8')
    const missing = await runCli(project, [
      'config',
      'set',
      'policy.trusted_keys',
      '[keys/policy-signing.pub]',
    ])
    expect(missing.exitCode).toBe(3)
    expect(missing.stderr).toContain(
      `trusted key ${path.join(project.dir, 'keys/policy-signing.pub')} cannot be read`,
    )
    expect(await readFile(path.join(project.home, 'config.yaml'), 'utf8')).toBe(before)
    // The guide's steps, run from a subfolder of the project: the path is the project's.
    const sub = path.join(project.dir, 'web')
    await mkdir(sub, { recursive: true })
    await mkdir(path.join(project.dir, 'keys'))
    const keygen = await runCli(project, ['policy', 'keygen', '--out', 'keys/policy-signing'])
    expect(keygen.exitCode, keygen.stderr).toBe(0)
    const set = await runCli({ ...project, dir: sub }, [
      'config',
      'set',
      'policy.trusted_keys',
      '[keys/policy-signing.pub]',
    ])
    expect(set.exitCode, set.stderr).toBe(0)
  })
})

describe('policy explain and simulate, for people', () => {
  it('print the constraints the decision carries', async () => {
    const limits = await tempProject({
      policy: {
        'limits.yaml':
          'apiVersion: driftcore/v1\nkind: PolicyBundle\nname: limits\nrules:\n  - id: read-limits\n    decision: ALLOW_WITH_CONSTRAINTS\n    match:\n      tools: [audit.verify]\n    constraints:\n      timeout_ms: 30000\n      network: none\n',
      },
    })
    try {
      expect((await runCli(limits, ['init'])).exitCode).toBe(0)
      for (const command of ['explain', 'simulate']) {
        const result = await runCli(limits, [
          'policy',
          command,
          '--tool',
          'audit.verify',
          '--actor',
          'human:ada',
        ])
        expect(result.exitCode, result.stderr).toBe(0)
        expect(result.stdout).toMatch(/constraints: .*timeout_ms=30000/)
        expect(result.stdout).toContain('network=none')
      }
    } finally {
      await limits.cleanup()
    }
  })
})
