import { mkdir, readFile, readdir, symlink } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { json, runCli, tempProject, type TempProject } from '../../../test/helpers/project.js'
import { which } from '../../../src/launcher/allowlist.js'
import { ALLOW_ALL, makeDrupalSite } from './helpers.js'

// The built CLI as a user runs it (npm run build first): exit codes, stdout/stderr, --json.
let p: TempProject
const site = () => path.join(p.home, 'sandbox/site')
const cli = (...args: string[]) => runCli(p, args)

beforeEach(async () => {
  p = await tempProject({
    config: 'launcher:\n  allowlist: [git, php]\n',
    policy: { 'allow.yaml': ALLOW_ALL },
  })
  await makeDrupalSite(path.join(p.dir, 'site'))
  expect((await cli('sandbox', 'init', '--from', 'site')).exitCode).toBe(0)
})
afterEach(() => p.cleanup())

describe('driftcore scaffold module', () => {
  it('prints the file tree with --dry-run and writes nothing', async () => {
    const result = await cli('scaffold', 'module', 'hello_world', '--part', 'block', '--dry-run')
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain(
      [
        'web/modules/custom/hello_world/',
        '├── src/',
        '│   └── Plugin/',
        '│       └── Block/',
        '│           └── HelloWorldBlock.php',
      ].join('\n'),
    )
    expect(result.stdout).toContain('would write 3 files')
    expect(result.stderr).toContain('scaffold.plan')
    await expect(readdir(path.join(site(), 'web/modules/custom/hello_world'))).rejects.toMatchObject({
      code: 'ENOENT',
    })
  })

  it('returns with --json the object the human output is drawn from', async () => {
    const result = await cli('scaffold', 'module', 'hello_world', '--part', 'routing', '--json')
    expect(result.exitCode).toBe(0)
    const out = json<{ files: { path: string }[] }>(result)
    expect(out).toMatchObject({ module: 'hello_world', dry_run: false, checks: { php_lint: 1, yaml: 2 } })
    expect(out.files.map((f) => f.path)).toContain('src/Controller/HelloWorldController.php')
    expect(
      await readFile(path.join(site(), 'web/modules/custom/hello_world/hello_world.info.yml'), 'utf8'),
    ).toContain('core_version_requirement')
  })

  it('exits 2 with a clear message for an invalid machine name', async () => {
    const result = await cli('scaffold', 'module', 'Bad-Name')
    expect(result.exitCode).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/name: a machine name starts with a lower-case letter/)
    const asJson = json(await cli('scaffold', 'module', 'class', '--json'))
    expect(asJson.error).toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('PHP reserved word'),
    })
  })

  it('exits 3 for an unknown template and 6 for a taken name', async () => {
    expect(await cli('scaffold', 'module', 'fine', '--template', 'nope')).toMatchObject({
      exitCode: 3,
      stderr: expect.stringContaining('unknown template "nope"'),
    })
    expect(await cli('scaffold', 'module', 'token')).toMatchObject({
      exitCode: 6,
      stderr: expect.stringContaining('web/modules/contrib/token/token.info.yml'),
    })
  })

  it('asks a person first under the default policy, then runs with the approval', async () => {
    const strict = await tempProject({ config: 'launcher:\n  allowlist: [git, php]\n' })
    try {
      await makeDrupalSite(path.join(strict.dir, 'site'))
      const asked = await runCli(strict, ['sandbox', 'init', '--from', 'site', '--json'])
      expect(asked.exitCode).toBe(5)
      const id = json(asked).error.details.approval_id as string
      const approve = await runCli(strict, ['approvals', 'approve', id], {
        env: { DRIFTCORE_ACTOR: 'human:alice' },
      })
      expect(approve.exitCode).toBe(0)
      const ran = await runCli(strict, ['sandbox', 'init', '--from', 'site', '--approval', id])
      expect(ran.exitCode).toBe(0)
      expect(ran.stdout).toContain('sandbox at')
    } finally {
      await strict.cleanup()
    }
  })

  it('lists the built-in templates', async () => {
    const out = json(await cli('scaffold', 'templates', 'list', '--json'))
    expect(out.templates).toEqual([
      expect.objectContaining({
        id: 'drupal-module',
        source: 'builtin',
        parts: expect.arrayContaining(['block', 'hooks']),
      }),
    ])
  })
})

describe('driftcore sandbox', () => {
  it('exits 3 on a reset with no snapshot, saying how to take one', async () => {
    const result = await cli('sandbox', 'reset')
    expect(result.exitCode).toBe(3)
    expect(result.stderr).toContain('no snapshot to go back to')
    expect(result.stderr).toContain('driftcore sandbox snapshot')
  })

  it('snapshots, shows changes, and resets', async () => {
    expect((await cli('sandbox', 'snapshot')).exitCode).toBe(0)
    await cli('scaffold', 'module', 'hello_world')
    const status = json(await cli('sandbox', 'status', '--json'))
    expect(status.changes).toContainEqual({
      path: 'web/modules/custom/hello_world/hello_world.info.yml',
      status: 'added',
    })
    const diff = await cli('sandbox', 'diff')
    expect(diff.stdout).toContain('+++ b/web/modules/custom/hello_world/hello_world.info.yml')
    expect((await cli('sandbox', 'reset')).stdout).toMatch(/^reset to the snapshot/)
    const verified = json(await cli('sandbox', 'status', '--verify', '--json'))
    expect(verified).toMatchObject({ changes: [], matches_snapshot: true })
  })

  it('passes on the exit code of the program it ran', async () => {
    const result = await cli('sandbox', 'exec', '--', 'php', '-r', 'echo "out\\n"; exit(4);')
    expect(result).toMatchObject({ exitCode: 4, stdout: 'out' })
  })

  it('fails closed, exit 9, when bubblewrap is not on PATH', async () => {
    const bin = path.join(p.dir, 'bin-without-bwrap')
    await mkdir(bin)
    for (const tool of ['node', 'git', 'php', 'prlimit']) await symlink(which(tool)!, path.join(bin, tool))
    const marker = path.join(site(), 'ran')
    const result = await runCli(
      p,
      ['sandbox', 'exec', '--', 'php', '-r', `touch(${JSON.stringify(marker)});`],
      {
        env: { PATH: bin },
      },
    )
    expect(result.exitCode).toBe(9)
    expect(result.stderr).toContain('bubblewrap')
    await expect(readFile(marker)).rejects.toMatchObject({ code: 'ENOENT' })
  })
})

describe('driftcore qa run', () => {
  it('exits 1 when a step fails and 0 when all pass', async () => {
    expect((await cli('sandbox', 'snapshot')).exitCode).toBe(0)
    await cli('scaffold', 'module', 'hello_world', '--part', 'routing')
    expect((await cli('qa', 'run')).exitCode).toBe(0)
    await cli(
      'sandbox',
      'exec',
      '--',
      'php',
      '-r',
      'file_put_contents("web/modules/custom/hello_world/bad.php", "<?php (");',
    )
    const failed = await cli('qa', 'run')
    expect(failed.exitCode).toBe(1)
    expect(failed.stdout).toMatch(/php-lint\s+failed/)
    expect(failed.stdout).toContain('QA failed')
  })

  it('refuses, exit 11, a chain entry that is not on the allowlist', async () => {
    const result = await cli('qa', 'run', '-c', 'qa.chain=[{name: phpcs, command: phpcs}]')
    expect(result.exitCode).toBe(11)
    expect(result.stderr).toContain('qa.chain entry "phpcs" (#1)')
  })
})
