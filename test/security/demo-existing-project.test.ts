import { existsSync } from 'node:fs'
import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { json, runCli, tempProject, type TempProject } from '../helpers/project.js'

/**
 * `demo --dir` writes a whole project: its config, policy and audit records. Pointed at a real
 * project (by a typo, or by an agent told to "try the demo here") it must not overwrite the
 * project's config or add the demo's approvals to its audit log.
 */
let project: TempProject
beforeEach(async () => {
  project = await tempProject()
})
afterEach(() => project.cleanup())

describe('driftcore demo --dir', () => {
  it('refuses a folder that already holds a project, and changes nothing in it', async () => {
    const init = await runCli(project, ['init'])
    expect(init.exitCode, init.stderr).toBe(0)
    await runCli(project, ['config', 'set', 'workflow.concurrency', '3'])
    const config = await readFile(path.join(project.home, 'config.yaml'), 'utf8')
    const audit = await readdir(path.join(project.home, 'audit'))
    const before = await Promise.all(audit.map((f) => readFile(path.join(project.home, 'audit', f), 'utf8')))

    for (const dir of ['.', project.dir]) {
      const demo = await runCli(project, ['demo', '--dir', dir, '--json'], { timeoutMs: 120_000 })
      expect(demo.exitCode, demo.stderr).toBe(6)
      expect(json(demo).error.code).toBe('conflict')
      expect(json(demo).error.message).toContain('already holds a driftcore project')
    }
    expect(await readFile(path.join(project.home, 'config.yaml'), 'utf8')).toBe(config)
    expect(await readdir(path.join(project.home, 'audit'))).toEqual(audit)
    const after = await Promise.all(audit.map((f) => readFile(path.join(project.home, 'audit', f), 'utf8')))
    expect(after).toEqual(before)
  })

  it('runs with a relative --dir, as its help example shows', async () => {
    const demo = await runCli(project, ['demo', '--dir', './demo-project', '--json'], { timeoutMs: 120_000 })
    expect(demo.exitCode, demo.stderr).toBe(0)
    const result = json(demo)
    expect(result.project).toBe(path.join(project.dir, 'demo-project'))
    expect(result.audit.ok).toBe(true)
    expect(existsSync(path.join(project.dir, 'demo-project/.driftcore/config.yaml'))).toBe(true)
  })
})
