import { lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfinedDir, projectRoots, resolveWithin } from '../../../src/store/confine.js'

let base: string
let root: string
let outside: string
beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'driftcore-confine-'))
  root = path.join(base, 'root')
  outside = path.join(base, 'outside')
  await mkdir(root)
  await mkdir(outside)
})
afterEach(() => rm(base, { recursive: true, force: true }))

const open = (options: Partial<Parameters<typeof ConfinedDir.open>[1]> = {}) =>
  ConfinedDir.open(root, { what: 'the test folder', ...options })

describe('ConfinedDir', () => {
  it('writes, stages, renames, reads and removes inside the folder', async () => {
    const dir = await open()
    await dir.writeFile('a/b/c.txt', 'one')
    expect(await readFile(path.join(root, 'a/b/c.txt'), 'utf8')).toBe('one')
    const staged = await dir.stage('a/d.txt', 'two')
    expect(await dir.kind('a/d.txt')).toBe('absent')
    await staged.commit()
    expect((await dir.readFile('a/d.txt')).toString()).toBe('two')
    await dir.rename('a/d.txt', 'e/f.txt')
    expect(await dir.kind('e/f.txt')).toBe('file')
    await dir.remove('e/f.txt')
    await dir.remove('a', { recursive: true })
    expect(await readdir(root)).toEqual(['e'])
    expect(await dir.mkdir('x/y')).toBe(path.join(root, 'x'))
    expect(await dir.kind('x/y')).toBe('dir')
  })

  it('never writes, reads or removes through a symlink on the way, wherever it points', async () => {
    await symlink(outside, path.join(root, 'out'))
    await mkdir(path.join(root, 'real'))
    await symlink('real', path.join(root, 'inside'))
    await writeFile(path.join(outside, 'victim'), 'keep')
    const dir = await open()
    for (const rel of ['out/x', 'inside/x', 'out/deep/x']) {
      await expect(dir.writeFile(rel, 'escaped')).rejects.toMatchObject({
        code: 'invalid_input',
        message: expect.stringContaining('is a symbolic link'),
      })
    }
    await expect(dir.readFile('out/victim')).rejects.toMatchObject({ code: 'invalid_input' })
    await expect(dir.remove('out/victim')).rejects.toMatchObject({ code: 'invalid_input' })
    await expect(dir.rename('out/victim', 'taken')).rejects.toMatchObject({ code: 'invalid_input' })
    await expect(dir.mkdir('out/sub')).rejects.toMatchObject({ code: 'invalid_input' })
    expect(await readdir(outside)).toEqual(['victim'])
    expect(await readdir(path.join(root, 'real'))).toEqual([])
  })

  it('removes a folder holding a symlink out without touching what the link points at', async () => {
    await writeFile(path.join(outside, 'victim'), 'keep')
    const dir = await open()
    await dir.mkdir('gone/deep')
    await symlink(outside, path.join(root, 'gone/deep/out'))
    await dir.remove('gone', { recursive: true })
    expect(await readdir(root)).toEqual([])
    expect(await readdir(outside)).toEqual(['victim'])
  })

  it('replaces a symlink named as the file itself instead of writing through it', async () => {
    await symlink(path.join(outside, 'target'), path.join(root, 'file'))
    const dir = await open()
    await expect(dir.readFile('file')).rejects.toMatchObject({
      message: expect.stringContaining('symbolic link'),
    })
    await dir.writeFile('file', 'mine')
    expect((await lstat(path.join(root, 'file'))).isFile()).toBe(true)
    expect(await readdir(outside)).toEqual([])
  })

  it('refuses paths that climb, are absolute or land in a denied folder', async () => {
    await mkdir(path.join(root, '.driftcore/policy'), { recursive: true })
    const dir = await open({ deny: [path.join(root, '.driftcore')], code: 'forbidden' })
    await expect(dir.writeFile('../x', '')).rejects.toMatchObject({ code: 'invalid_input' })
    await expect(dir.writeFile('/etc/x', '')).rejects.toMatchObject({ code: 'invalid_input' })
    await expect(dir.writeFile('a\\..\\..\\x', '')).rejects.toMatchObject({ code: 'invalid_input' })
    await expect(dir.writeFile('.driftcore/policy/rogue.yaml', '')).rejects.toMatchObject({
      code: 'forbidden',
    })
    await expect(dir.remove('.driftcore', { recursive: true })).rejects.toMatchObject({ code: 'forbidden' })
    expect(await readdir(path.join(root, '.driftcore/policy'))).toEqual([])
  })

  it('opens a folder reached through a symlink only when its real place is allowed', async () => {
    await symlink(outside, path.join(base, 'link'))
    await expect(
      ConfinedDir.open(path.join(base, 'link'), { what: 'the baseline', within: [root], code: 'forbidden' }),
    ).rejects.toMatchObject({ code: 'forbidden', message: expect.stringContaining(outside) })
    const dir = await ConfinedDir.open(path.join(base, 'link'), { what: 'the baseline', within: [base] })
    expect(dir.real).toBe(outside)
    await expect(
      ConfinedDir.open(path.join(root, '.driftcore'), {
        what: 'x',
        create: true,
        deny: [path.join(root, '.driftcore')],
      }),
    ).rejects.toMatchObject({ code: 'invalid_input' })
  })

  it('detects a folder moved away under a staged file', async () => {
    const dir = await open()
    const staged = await dir.stage('sub/file', 'x')
    await rename(path.join(root, 'sub'), path.join(root, 'moved'))
    await symlink(outside, path.join(root, 'sub'))
    await expect(staged.commit()).rejects.toMatchObject({ code: 'invalid_input' })
    expect(await readdir(outside)).toEqual([])
  })
})

describe('resolveWithin', () => {
  const roots = () => projectRoots({ root, home: path.join(root, '.driftcore') }, {})

  it('returns the real path of something inside the project', async () => {
    await writeFile(path.join(root, 'f.json'), '{}')
    expect(await resolveWithin('f.json', { base: root, what: 'source', ...roots() })).toBe(
      path.join(root, 'f.json'),
    )
  })

  it('refuses absolute paths, ../ paths, symlinks out and .driftcore/, and is silent about what does not exist', async () => {
    await mkdir(path.join(root, '.driftcore'))
    await writeFile(path.join(root, '.driftcore/token'), 'x')
    await writeFile(path.join(outside, 'secret'), 'x')
    await symlink(outside, path.join(root, 'link'))
    for (const spec of [outside, '../outside/secret', 'link/secret', '.driftcore/token']) {
      await expect(resolveWithin(spec, { base: root, what: 'source', ...roots() })).rejects.toMatchObject({
        code: 'forbidden',
      })
    }
    expect(
      await resolveWithin('../outside/nothing', { base: root, what: 'source', ...roots() }),
    ).toBeUndefined()
  })

  it('allows a folder listed in files.read_roots', async () => {
    await writeFile(path.join(outside, 'secret'), 'x')
    const allowed = projectRoots(
      { root, home: path.join(root, '.driftcore') },
      { files: { read_roots: ['../outside'] } },
    )
    expect(
      await resolveWithin(path.join(outside, 'secret'), { base: root, what: 'source', ...allowed }),
    ).toBe(path.join(outside, 'secret'))
  })
})
