import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeDrupalSite } from '../../plugins/scaffold/test/helpers.js'
import { json, runCli, tempProject, type TempProject } from '../helpers/project.js'

// A call that fails before it changes anything keeps its approval, and one that cannot work
// never asks a person; a call that started changing things uses its approval, once.
let project: TempProject
const alice = { DRIFTCORE_ACTOR: 'human:alice' }
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(project, args, { env })

afterEach(() => project.cleanup())

async function approvals(): Promise<{ id: string; status: string }[]> {
  return json(await cli(['approvals', 'list', '--json']))
}

async function approvalIdOf(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const asked = await cli([...args, '--json'], env)
  expect(asked.exitCode, asked.stdout + asked.stderr).toBe(5)
  return json<{ error: { details: { approval_id: string } } }>(asked).error.details.approval_id
}

async function statusOf(id: string): Promise<string> {
  return json<{ status: string }>(await cli(['approvals', 'show', id, '--json'])).status
}

describe('drush.cacheRebuild on a machine without Drush', () => {
  let bin: string
  let ran: string
  const withDrush = () => ({ PATH: `${bin}:${process.env.PATH}` })

  beforeEach(async () => {
    project = await tempProject()
    bin = path.join(project.dir, 'bin')
    ran = path.join(project.dir, 'drush-ran')
    await mkdir(bin)
  })

  async function installDrush(exitCode: number): Promise<void> {
    const script = path.join(bin, 'drush')
    await writeFile(
      script,
      `#!/bin/sh\necho "$@" >> '${ran}'\necho ' [success] Cache rebuild complete.' >&2\nexit ${exitCode}\n`,
    )
    await chmod(script, 0o755)
  }

  it('exits 9 naming the program and asks nobody to approve it', async () => {
    const result = await cli(['drush', 'cache-rebuild', '--json'])
    expect(result.exitCode, result.stdout + result.stderr).toBe(9)
    expect(json(result).error.message).toContain('"drush"')
    expect(await approvals()).toEqual([])
  })

  it('keeps the approval when Drush went missing after it was granted; the repeat with Drush runs once', async () => {
    await installDrush(0)
    const id = await approvalIdOf(['drush', 'cache-rebuild'], withDrush())
    expect((await cli(['approvals', 'approve', id], alice)).exitCode).toBe(0)

    // Drush is not on PATH now: the call fails before anything ran.
    const missing = await cli(['drush', 'cache-rebuild', '--approval', id, '--json'])
    expect(missing.exitCode, missing.stdout + missing.stderr).toBe(9)
    expect(await statusOf(id)).toBe('approved')

    const repeat = await cli(['drush', 'cache-rebuild', '--approval', id, '--json'], withDrush())
    expect(repeat.exitCode, repeat.stdout + repeat.stderr).toBe(0)
    expect(await statusOf(id)).toBe('used')
    expect((await readFile(ran, 'utf8')).trim().split('\n')).toHaveLength(1)

    // Used once: a third call with it is refused and Drush does not run again.
    const again = await cli(['drush', 'cache-rebuild', '--approval', id, '--json'], withDrush())
    expect(again.exitCode).toBe(11)
    expect(json(again).error.message).toContain(`approval ${id} is used`)
    expect((await readFile(ran, 'utf8')).trim().split('\n')).toHaveLength(1)
    expect((await cli(['audit', 'verify'])).exitCode).toBe(0)
  })

  it('uses the approval of a call whose Drush started and then failed: it cannot be repeated with it', async () => {
    await installDrush(1)
    const id = await approvalIdOf(['drush', 'cache-rebuild'], withDrush())
    expect((await cli(['approvals', 'approve', id], alice)).exitCode).toBe(0)
    const failed = await cli(['drush', 'cache-rebuild', '--approval', id, '--json'], withDrush())
    expect(failed.exitCode).not.toBe(0)
    expect(await statusOf(id)).toBe('used')
    const again = await cli(['drush', 'cache-rebuild', '--approval', id, '--json'], withDrush())
    expect(json(again).error.message).toContain(`approval ${id} is used`)
    expect((await readFile(ran, 'utf8')).trim().split('\n')).toHaveLength(1)
  })

  it('two calls racing with one approval: Drush runs once', async () => {
    await installDrush(0)
    const id = await approvalIdOf(['drush', 'cache-rebuild'], withDrush())
    expect((await cli(['approvals', 'approve', id], alice)).exitCode).toBe(0)
    const both = await Promise.all(
      [1, 2].map(() => cli(['drush', 'cache-rebuild', '--approval', id, '--json'], withDrush())),
    )
    expect(both.filter((r) => r.exitCode === 0)).toHaveLength(1)
    expect((await readFile(ran, 'utf8')).trim().split('\n')).toHaveLength(1)
    expect(await statusOf(id)).toBe('used')
  })
})

describe('sandbox init', () => {
  beforeEach(async () => {
    project = await tempProject({ config: 'launcher:\n  allowlist: [git, php]\n' })
    await makeDrupalSite(path.join(project.dir, 'site'))
  })

  it('--from . overlaps the sandbox: exit 2 and no approval request', async () => {
    const result = await cli(['sandbox', 'init', '--from', '.', '--json'])
    expect(result.exitCode, result.stdout + result.stderr).toBe(2)
    expect(json(result).error.message).toContain('overlaps the sandbox')
    expect(await approvals()).toEqual([])
  })

  it('keeps the approval when the sandbox folder filled up after it was granted', async () => {
    const id = await approvalIdOf(['sandbox', 'init', '--from', 'site'])
    expect((await cli(['approvals', 'approve', id], alice)).exitCode).toBe(0)
    const stray = path.join(project.home, 'sandbox/site/stray.txt')
    await mkdir(path.dirname(stray), { recursive: true })
    await writeFile(stray, 'in the way\n')

    const blocked = await cli(['sandbox', 'init', '--from', 'site', '--approval', id, '--json'])
    expect(blocked.exitCode, blocked.stdout + blocked.stderr).toBe(6)
    expect(json(blocked).error.message).toContain('is not empty')
    expect(await statusOf(id)).toBe('approved')

    await rm(stray)
    const repeat = await cli(['sandbox', 'init', '--from', 'site', '--approval', id, '--json'])
    expect(repeat.exitCode, repeat.stdout + repeat.stderr).toBe(0)
    expect(await statusOf(id)).toBe('used')
  })
})

describe('scaffold module', () => {
  beforeEach(async () => {
    project = await tempProject({
      config: 'launcher:\n  allowlist: [git, php]\n',
      policy: {
        'p.yaml': `apiVersion: driftcore/v1
kind: PolicyBundle
name: p
rules:
  - id: sandbox-free
    decision: ALLOW
    match: { tools: ['sandbox.*', 'scaffold.plan', 'scaffold.templates'] }
  - id: scaffolds-need-a-person
    decision: REQUIRE_APPROVAL
    match: { tools: [scaffold.module] }
`,
      },
    })
    await makeDrupalSite(path.join(project.dir, 'site'))
    expect((await cli(['sandbox', 'init', '--from', 'site'])).exitCode).toBe(0)
  })

  it('a module name the site already has (node): exit 6 and no approval request', async () => {
    const result = await cli(['scaffold', 'module', 'node', '--json'])
    expect(result.exitCode, result.stdout + result.stderr).toBe(6)
    expect(json(result).error.message).toContain('a module named "node" already exists')
    expect(await approvals()).toEqual([])
  })

  it('keeps the approval when the name was taken after it was granted; nothing is written', async () => {
    const id = await approvalIdOf(['scaffold', 'module', 'my_mod'])
    expect((await cli(['approvals', 'approve', id], alice)).exitCode).toBe(0)
    const taken = path.join(project.home, 'sandbox/site/web/modules/contrib/my_mod/my_mod.info.yml')
    await mkdir(path.dirname(taken), { recursive: true })
    await writeFile(taken, 'name: taken\n')

    const blocked = await cli(['scaffold', 'module', 'my_mod', '--approval', id, '--json'])
    expect(blocked.exitCode, blocked.stdout + blocked.stderr).toBe(6)
    expect(await statusOf(id)).toBe('approved')
    await expect(
      readFile(path.join(project.home, 'sandbox/site/web/modules/custom/my_mod/my_mod.info.yml')),
    ).rejects.toMatchObject({ code: 'ENOENT' })

    await rm(path.dirname(taken), { recursive: true })
    const repeat = await cli(['scaffold', 'module', 'my_mod', '--approval', id, '--json'])
    expect(repeat.exitCode, repeat.stdout + repeat.stderr).toBe(0)
    expect(await statusOf(id)).toBe('used')
  })
})
