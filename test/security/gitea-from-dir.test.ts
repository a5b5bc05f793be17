import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { json } from '../helpers/project.js'
import { giteaProject, type GiteaProject } from '../../plugins/gitea/test/helpers.js'

// A hostile agent uses gitea.commit's from_dir to carry files from outside the project (or
// driftcore's own state) into a commit. The server is the STAND-IN Gitea (openapi-backend over
// Gitea's API document, git http-backend behind a token check).

const POLICY = `apiVersion: driftcore/v1
kind: PolicyBundle
name: team
rules:
  - id: allow-all
    decision: ALLOW
  - id: pr-budget
    match: { tools: ['gitea.commit'] }
    decision: ALLOW
    constraints:
      max_files_changed: 3
      deny_paths: ['**/settings.php']
`

const SECRET = 'top-secret-outside-the-project'

describe('gitea.commit from_dir: what a hostile agent tries', () => {
  let p: GiteaProject
  let outside: string
  const heads = () => p.gitea.git('acme', 'site', ['for-each-ref', '--format=%(refname) %(objectname)'])
  const commit = (branch: string, from_dir: unknown) =>
    p.call('gitea.commit', { repo: 'site', branch, message: 'module', from_dir })
  const refused = async (branch: string, from_dir: unknown, code: string) => {
    const before = await heads()
    const r = await commit(branch, from_dir)
    expect(r.exitCode, r.stdout + r.stderr).not.toBe(0)
    expect(json(r).error.code).toBe(code)
    expect(r.stdout + r.stderr).not.toContain(SECRET)
    // Nothing reached the server: no branch, no moved head.
    expect(await heads()).toBe(before)
    return json(r).error as { message: string }
  }

  beforeAll(async () => {
    p = await giteaProject({ policy: POLICY })
    await p.gitea.seedRepo('acme', 'site', { 'README.md': '# site\n' })
    outside = await mkdtemp(path.join(os.tmpdir(), 'gflow-outside-'))
    await writeFile(path.join(outside, 'secret.txt'), SECRET)
  })
  afterAll(async () => {
    expect(p.gitea.violations).toEqual([])
    await rm(outside, { recursive: true, force: true })
    await p.close()
  })

  test('a plain project folder is committed under `to`, file by file', async () => {
    await mkdir(path.join(p.dir, 'mods/hello/src'), { recursive: true })
    await writeFile(path.join(p.dir, 'mods/hello/hello.info.yml'), 'name: Hello\ntype: module\n')
    await writeFile(path.join(p.dir, 'mods/hello/src/Greeter.php'), '<?php\n')
    const r = await commit('feature/hello', { path: 'mods/hello', to: 'web/modules/custom/hello' })
    expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    expect(json(r).output).toMatchObject({ files_changed: 2, pushed: true })
    const tree = await p.gitea.git('acme', 'site', [
      'ls-tree',
      '-r',
      '--name-only',
      'refs/heads/feature/hello',
    ])
    expect(tree.trim().split('\n').sort()).toEqual([
      'README.md',
      'web/modules/custom/hello/hello.info.yml',
      'web/modules/custom/hello/src/Greeter.php',
    ])
  })

  test('a symlink inside the folder pointing outside the project is refused, not followed, and nothing is pushed', async () => {
    await mkdir(path.join(p.dir, 'mods/linky'), { recursive: true })
    await writeFile(path.join(p.dir, 'mods/linky/ok.txt'), 'ok\n')
    await symlink(path.join(outside, 'secret.txt'), path.join(p.dir, 'mods/linky/stolen.txt'))
    const error = await refused('linky', { path: 'mods/linky', to: 'm' }, 'forbidden')
    expect(error.message).toContain('stolen.txt is a symlink')
  })

  test('a symlinked folder (inside, or as the folder itself) pointing outside is refused', async () => {
    await mkdir(path.join(p.dir, 'mods/deep'), { recursive: true })
    await symlink(outside, path.join(p.dir, 'mods/deep/sub'))
    await refused('deep', { path: 'mods/deep', to: 'm' }, 'forbidden')
    await symlink(outside, path.join(p.dir, 'mods/away'))
    await refused('away', { path: 'mods/away', to: 'm' }, 'forbidden')
    // A symlink on the way to the folder is refused as well.
    await refused('via', { path: 'mods/away/.', to: 'm' }, 'invalid_input')
    await refused('via2', { path: 'mods/deep/sub', to: 'm' }, 'forbidden')
  })

  test('"..", an absolute path and a path outside the project are refused before anything is read', async () => {
    await refused('dots', { path: `../${path.basename(outside)}`, to: 'm' }, 'invalid_input')
    await refused('dots2', { path: 'mods/../../x', to: 'm' }, 'invalid_input')
    await refused('abs', { path: outside, to: 'm' }, 'invalid_input')
    await refused('to-dots', { path: 'mods/hello', to: '../escape' }, 'invalid_input')
    await refused('to-git', { path: 'mods/hello', to: '.git/hooks' }, 'invalid_input')
  })

  test("driftcore's own folder (config, keys, audit) cannot be committed; only its sandbox", async () => {
    const error = await refused('state', { path: '.driftcore', to: 'm' }, 'forbidden')
    expect(error.message).toContain('only the sandbox')
    await refused('policy', { path: '.driftcore/policy', to: 'm' }, 'forbidden')
    await refused('sandbox-root', { path: '.driftcore/sandbox', to: 'm' }, 'forbidden')
  })

  test("the policy's budgets and deny_paths still hold on the files from_dir brings", async () => {
    await mkdir(path.join(p.dir, 'mods/site/default'), { recursive: true })
    await writeFile(path.join(p.dir, 'mods/site/default/settings.php'), '<?php\n$x = 1;\n')
    const denied = await refused('settings', { path: 'mods/site', to: 'web/sites' }, 'policy_denied')
    expect(denied.message).toMatch(/settings\.php/)
    await mkdir(path.join(p.dir, 'mods/many'), { recursive: true })
    for (const n of ['a', 'b', 'c', 'd']) await writeFile(path.join(p.dir, `mods/many/${n}.txt`), 'x\n')
    const over = await refused('many', { path: 'mods/many', to: 'm' }, 'policy_denied')
    expect(over.message).toMatch(/changes 4 files, over the policy's max_files_changed \(3\)/)
  })
})
