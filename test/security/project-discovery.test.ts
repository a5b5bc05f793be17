import { existsSync } from 'node:fs'
import { chown, mkdir, readdir, rm, symlink } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { json, runCli, tempProject, type TempProject } from '../helpers/project.js'

/**
 * Which project a command acts on. A hostile user who leaves a `.driftcore/` in a shared
 * folder (the temp folder) must not have their config, policy and audit log used by someone
 * who runs driftcore below it; a typo in --home must not create a project.
 */
const root = process.getuid?.() === 0
const STRANGER = 54_321

let project: TempProject
beforeEach(async () => {
  project = await tempProject()
  // The temp project's folder plays the shared temp folder: no project of the user's own.
  await rm(project.home, { recursive: true })
})
afterEach(() => project.cleanup())

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).sort()
}

describe('project discovery', () => {
  it('outside a project, a command says there is none and creates nothing', async () => {
    const work = path.join(project.dir, 'work')
    await mkdir(work)
    for (const args of [['audit', 'tail'], ['config', 'get', 'workflow.concurrency'], ['status']]) {
      const result = await runCli({ ...project, dir: work }, args)
      expect(result.exitCode, `${args.join(' ')}: ${result.stderr}`).toBe(3)
      expect(result.stderr).toContain('no driftcore project here (run driftcore init)')
    }
    expect(existsSync(path.join(work, '.driftcore'))).toBe(false)
    const asJson = await runCli({ ...project, dir: work }, ['audit', 'tail', '--json'])
    expect(json(asJson).error.code).toBe('not_found')
  })

  it.skipIf(!root)("a stranger's .driftcore in a shared parent folder is not used (needs root)", async () => {
    const init = await runCli(project, ['init'])
    expect(init.exitCode, init.stderr).toBe(0)
    const strangers = path.join(project.dir, '.driftcore')
    const before = await filesUnder(strangers)
    for (const file of ['', ...before]) await chown(path.join(strangers, file), STRANGER, STRANGER)
    const work = path.join(project.dir, 'my-work')
    await mkdir(work)
    const tail = await runCli({ ...project, dir: work }, ['audit', 'tail'])
    expect(tail.exitCode, tail.stderr).toBe(3)
    expect(tail.stderr).toContain('no driftcore project here (run driftcore init)')
    expect(tail.stderr).toContain(`${strangers} belongs to uid ${STRANGER}`)
    const call = await runCli({ ...project, dir: work }, ['tools', 'call', 'audit.verify'])
    expect(call.exitCode).toBe(3)
    expect(await filesUnder(strangers)).toEqual(before)
  })

  it.skipIf(!root)('a symlink named .driftcore in a parent folder is not used (needs root)', async () => {
    const real = path.join(project.dir, 'elsewhere')
    const init = await runCli(project, ['init', '--home', path.join(real, '.driftcore')])
    expect(init.exitCode, init.stderr).toBe(0)
    await symlink(path.join(real, '.driftcore'), path.join(project.dir, '.driftcore'))
    const work = path.join(project.dir, 'work')
    await mkdir(work)
    const tail = await runCli({ ...project, dir: work }, ['audit', 'tail'])
    expect(tail.exitCode).toBe(3)
  })

  it("the user's own project in a parent folder is used, and named on stderr", async () => {
    const init = await runCli(project, ['init'])
    expect(init.exitCode, init.stderr).toBe(0)
    const sub = path.join(project.dir, 'web/modules')
    await mkdir(sub, { recursive: true })
    const result = await runCli({ ...project, dir: sub }, ['audit', 'tail'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stderr).toContain(`using the driftcore project in ${project.dir}`)
    const here = await runCli(project, ['audit', 'tail'])
    expect(here.stderr).not.toContain('using the driftcore project')
  })

  it('a mistyped --home or DRIFTCORE_HOME is refused, not created', async () => {
    await runCli(project, ['init'])
    const typo = path.join(project.dir, '.drfitcore')
    const viaFlag = await runCli(project, ['audit', 'tail', '--home', typo])
    expect(viaFlag.exitCode).toBe(3)
    expect(viaFlag.stderr).toContain(`no driftcore project at ${typo}`)
    const viaEnv = await runCli(project, ['config', 'set', 'workflow.concurrency', '2'], {
      env: { DRIFTCORE_HOME: typo },
    })
    expect(viaEnv.exitCode).toBe(3)
    expect(existsSync(typo)).toBe(false)
  })

  it('init, demo and help work outside a project', async () => {
    const work = path.join(project.dir, 'fresh')
    await mkdir(work)
    const help = await runCli({ ...project, dir: work }, ['audit', 'tail', '--help'])
    expect(help.exitCode).toBe(0)
    const init = await runCli({ ...project, dir: work }, ['init'])
    expect(init.exitCode, init.stderr).toBe(0)
    expect(existsSync(path.join(work, '.driftcore/config.yaml'))).toBe(true)
    const newHome = path.join(project.dir, 'new-site/.driftcore')
    const initHome = await runCli(project, ['init', '--home', newHome])
    expect(initHome.exitCode, initHome.stderr).toBe(0)
    expect(existsSync(path.join(newHome, 'config.yaml'))).toBe(true)
  })
})
