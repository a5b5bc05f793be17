import { chmod, mkdir, readFile, rm, symlink, writeFile, access } from 'node:fs/promises'
import path from 'node:path'
import { execa } from 'execa'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hashTree } from '../../src/sandbox/tree.js'
import { actor, listTree, scaffoldProject, type ScaffoldProject } from '../helpers.js'

let p: ScaffoldProject
beforeEach(async () => {
  p = await scaffoldProject()
})
afterEach(() => p.cleanup())

const call = (tool: string, input: unknown = {}) => p.kernel.gate.invoke(tool, input, actor)

describe('sandbox init', () => {
  it('copies the site without its .git folders and keeps git data outside the site', async () => {
    await mkdir(path.join(p.source, '.git/objects'), { recursive: true })
    await writeFile(path.join(p.source, '.git/HEAD'), 'ref: refs/heads/main\n')
    const result = await call('sandbox.init', { from: 'site-source' })
    expect(result.output).toMatchObject({ path: p.site, files: 11 })
    await expect(access(path.join(p.site, '.git'))).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await readFile(path.join(p.site, 'vendor/autoload.php'), 'utf8')).toContain('ignored')
    await access(path.join(p.home, 'sandbox/git/HEAD'))
  })

  it('refuses to create a second sandbox over the first', async () => {
    await call('sandbox.init', { from: 'site-source' })
    await expect(call('sandbox.init', { from: 'site-source' })).rejects.toMatchObject({ code: 'conflict' })
  })
})

describe('sandbox reset', () => {
  it('restores tracked, untracked and ignored files, symlinks, empty folders and permissions exactly', async () => {
    await call('sandbox.init', { from: 'site-source' })
    const snap = await call('sandbox.snapshot')
    const before = await listTree(p.site)
    const { hash } = await hashTree(p.site)
    expect((snap.output as { tree_hash: string }).tree_hash).toBe(hash)

    const at = (rel: string) => path.join(p.site, rel)
    await writeFile(at('web/index.php'), '<?php // changed\n')
    await rm(at('web/core/lib/Drupal.php'))
    await writeFile(at('web/modules/custom/new.php'), '<?php\n')
    await writeFile(at('vendor/evil.php'), '<?php // ignored by .gitignore\n')
    await writeFile(at('debug.log'), 'ignored too\n')
    await rm(at('web/sites/default/files'), { recursive: true })
    await chmod(at('vendor/bin/tool'), 0o600)
    await chmod(at('web/sites/default/settings.php'), 0o666)
    await rm(at('web/autoload.php'))
    await symlink('/etc/passwd', at('web/autoload.php'))
    await rm(at('web/themes/custom'), { recursive: true })
    await mkdir(at('web/modules/custom/empty'), { recursive: true })
    await mkdir(at('web/modules/custom/nested/.git'), { recursive: true })
    await writeFile(at('web/modules/custom/nested/.git/config'), '[core]\n')
    await execa('mkfifo', [at('web/pipe')])
    await mkdir(at('locked/inner'), { recursive: true })
    await writeFile(at('locked/inner/file'), 'x')
    await chmod(at('locked/inner'), 0o000)
    await chmod(at('locked'), 0o000)
    expect((await hashTree(p.site).catch(() => ({ hash: 'unreadable' }))).hash).not.toBe(hash)

    const result = await call('sandbox.reset')
    expect(result.output).toMatchObject({ tree_hash: hash, was_clean: false })
    expect((await hashTree(p.site)).hash).toBe(hash)
    expect(await listTree(p.site)).toEqual(before)
  })

  it('reports a sandbox that already matches its snapshot as clean', async () => {
    await call('sandbox.init', { from: 'site-source' })
    await call('sandbox.snapshot')
    expect((await call('sandbox.reset')).output).toMatchObject({ was_clean: true })
  })

  it('refuses to reset without a snapshot, and changes nothing', async () => {
    await call('sandbox.init', { from: 'site-source' })
    await writeFile(path.join(p.site, 'web/index.php'), '<?php // mine\n')
    const before = await listTree(p.site)
    await expect(call('sandbox.reset')).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('no snapshot'),
      hint: expect.stringContaining('sandbox snapshot'),
    })
    expect(await listTree(p.site)).toEqual(before)
  })

  it('refuses to snapshot a nested .git folder, which git could not restore', async () => {
    await call('sandbox.init', { from: 'site-source' })
    await mkdir(path.join(p.site, 'web/modules/custom/x/.git'), { recursive: true })
    await expect(call('sandbox.snapshot')).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('web/modules/custom/x/.git'),
    })
  })
})
