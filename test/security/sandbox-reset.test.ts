import { deflateSync } from 'node:zlib'
import { createHash } from 'node:crypto'
import { chmod, lstat, mkdir, readFile, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { execa } from 'execa'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hashTree } from '../../plugins/scaffold/src/sandbox/tree.js'
import {
  actor,
  listTree,
  scaffoldProject,
  type ScaffoldProject,
} from '../../plugins/scaffold/test/helpers.js'
import { json, runCli } from '../helpers/project.js'

// The fast reset trusts a stat cache instead of reading every file. Each test is a change a
// hostile agent makes to slip something past it: by a command in the sandbox, or with a shell
// of the same OS user editing the site or driftcore's own sandbox state.
let p: ScaffoldProject
beforeEach(async () => {
  p = await scaffoldProject()
  await call('sandbox.init', { from: 'site-source' })
})
afterEach(() => p.cleanup())

const call = async (tool: string, input: unknown = {}) =>
  (await p.kernel.gate.invoke(tool, input, actor)).output as Record<string, unknown>
const at = (rel: string) => path.join(p.site, rel)
const state = (rel: string) => path.join(p.home, 'sandbox', rel)

describe('sandbox reset against a hostile agent', () => {
  it('resets an edit of the same size with its mtime put back, made in the same second as the snapshot', async () => {
    await call('sandbox.snapshot')
    const snap = await listTree(p.site)
    // Right after the snapshot, in the same second git records: git's own stat check (seconds)
    // cannot see this; the stat cache compares ctime to the nanosecond.
    const file = at('web/core/lib/Drupal.php')
    const before = await lstat(file)
    const original = await readFile(file, 'utf8')
    await writeFile(file, original.replace('11.1.0', '66.6.6'))
    await utimes(file, before.atime, before.mtime)
    expect((await lstat(file)).size).toBe(before.size)

    const result = await call('sandbox.reset')
    expect(result).toMatchObject({ was_clean: false, proof: 'stat' })
    expect(await readFile(file, 'utf8')).toBe(original)
    expect(await listTree(p.site)).toEqual(snap)
  })

  it('resets the same edit made right after a reset that rewrote the file', async () => {
    await call('sandbox.snapshot')
    const file = at('web/index.php')
    const original = await readFile(file, 'utf8')
    await writeFile(file, 'changed')
    await call('sandbox.reset')
    const restored = await lstat(file)
    await writeFile(file, original.replace('Drupal', 'Evilxx'))
    await utimes(file, restored.atime, restored.mtime)
    await call('sandbox.reset')
    expect(await readFile(file, 'utf8')).toBe(original)
  })

  it('replaces a folder swapped for a symlink to outside the site, writing nothing through it', async () => {
    await call('sandbox.snapshot')
    const snap = await listTree(p.site)
    const outside = path.join(p.dir, 'outside')
    await mkdir(path.join(outside, 'lib'), { recursive: true })
    await writeFile(path.join(outside, 'lib/Drupal.php'), 'outside\n')
    await rm(at('web/core'), { recursive: true })
    await symlink(outside, at('web/core'))

    await call('sandbox.reset')
    expect(await listTree(p.site)).toEqual(snap)
    expect(await readdir(outside, { recursive: true })).toEqual(['lib', 'lib/Drupal.php'])
    expect(await readFile(path.join(outside, 'lib/Drupal.php'), 'utf8')).toBe('outside\n')
  })

  it('puts back permission bits: a file made executable, a folder locked, a read-only file made writable', async () => {
    await call('sandbox.snapshot')
    const snap = await listTree(p.site)
    await chmod(at('web/index.php'), 0o755)
    await chmod(at('web/sites/default/settings.php'), 0o666)
    await chmod(at('web/core/lib'), 0o000)
    await chmod(at('web/core'), 0o000)

    expect(await call('sandbox.reset')).toMatchObject({ was_clean: false, proof: 'stat' })
    expect(await listTree(p.site)).toEqual(snap)
  })

  it('removes what git cannot see or will not clean: a fifo, a nested .git, an empty folder, a locked new folder', async () => {
    await call('sandbox.snapshot')
    const snap = await listTree(p.site)
    await execa('mkfifo', [at('web/pipe')])
    await mkdir(at('web/modules/custom/x/.git/objects'), { recursive: true })
    await writeFile(at('web/modules/custom/x/.git/config'), '[core]\n')
    await mkdir(at('web/new-empty'))
    await mkdir(at('locked/inner'), { recursive: true })
    await writeFile(at('locked/inner/file'), 'x')
    await chmod(at('locked/inner'), 0o000)
    await rm(at('web/themes/custom'), { recursive: true })

    await call('sandbox.reset')
    expect(await listTree(p.site)).toEqual(snap)
  })

  it('does not trust a stat cache edited by hand: it is rebuilt and the site is still reset', async () => {
    await call('sandbox.snapshot')
    const file = at('web/index.php')
    const original = await readFile(file, 'utf8')
    await writeFile(file, '<?php // mine\n')
    // Record the edited file's stat in the cache, as if it had always been so.
    const now = await lstat(file, { bigint: true })
    const text = await readFile(state('stat-cache'), 'utf8')
    const forged = text.replace(
      /\["web\/index\.php","f",(\d+),\d+,"\d+","\d+","\d+"/,
      `["web/index.php","f",$1,${now.size},"${now.ino}","${now.mtimeNs}","${now.ctimeNs}"`,
    )
    expect(forged).not.toBe(text)
    await writeFile(state('stat-cache'), forged)

    expect(await call('sandbox.reset')).toMatchObject({ was_clean: false, proof: 'hash' })
    expect(await readFile(file, 'utf8')).toBe(original)
    expect(await call('sandbox.reset')).toMatchObject({ was_clean: true, proof: 'stat' })
  })

  it('a stat cache forged consistently (its digest and stamp recomputed) fools the fast path, and reset --verify catches it', async () => {
    await call('sandbox.snapshot')
    const file = at('web/index.php')
    const original = await readFile(file, 'utf8')
    await writeFile(file, '<?php // mine\n')
    const now = await lstat(file, { bigint: true })
    // The cache's stamp moved past the edit too, so the entry no longer looks racy.
    const body = (await readFile(state('stat-cache'), 'utf8'))
      .split('\n')[1]!
      .replace(/"stamp":"\d+"/, `"stamp":"${now.ctimeNs + 1_000_000_000n}"`)
      .replace(
        /\["web\/index\.php","f",(\d+),\d+,"\d+","\d+","\d+"/,
        `["web/index.php","f",$1,${now.size},"${now.ino}","${now.mtimeNs}","${now.ctimeNs}"`,
      )
    await writeFile(state('stat-cache'), `${createHash('sha256').update(body).digest('hex')}\n${body}`)

    // The documented limit: an agent that rewrites driftcore's own state consistently is out of
    // reach of the stat pass (service mode keeps .driftcore/ from it); --verify reads every file.
    expect(await call('sandbox.reset')).toMatchObject({ was_clean: true })
    expect(await call('sandbox.reset', { verify: true })).toMatchObject({ was_clean: false, proof: 'hash' })
    expect(await readFile(file, 'utf8')).toBe(original)
  })

  it('does not take its restored bytes on trust: a git object edited behind the snapshot fails with integrity, exit 8', async () => {
    await call('sandbox.snapshot')
    const file = at('web/core/lib/Drupal.php')
    const original = await readFile(file)
    const oid = createHash('sha1').update(`blob ${original.length}\0`).update(original).digest('hex')
    const object = state(`git/objects/${oid.slice(0, 2)}/${oid.slice(2)}`)
    const evil = Buffer.from("<?php\n\nclass Drupal {\n  const VERSION = 'evil';\n}\n")
    await chmod(object, 0o644)
    await writeFile(object, deflateSync(Buffer.concat([Buffer.from(`blob ${evil.length}\0`), evil])))
    await writeFile(file, 'edited so that reset must restore it')
    await p.kernel.close()

    const result = await runCli(p, ['sandbox', 'reset'])
    expect(result.exitCode).toBe(8)
    expect(result.stderr).toContain(path.join(p.home, 'sandbox/snapshot.json'))
  })
})

describe('sandbox snapshot against a hostile agent', () => {
  it('records an edit git would skip (same size, same second, mtime put back): a later reset brings back that content', async () => {
    await call('sandbox.snapshot')
    const file = at('web/core/lib/Drupal.php')
    const before = await lstat(file)
    const edited = (await readFile(file, 'utf8')).replace('11.1.0', '11.2.0')
    await writeFile(file, edited)
    await utimes(file, before.atime, before.mtime)

    const snap = await call('sandbox.snapshot')
    expect(snap.tree_hash).toBe((await hashTree(p.site)).hash)
    const committed = await execa('git', ['show', `${String(snap.commit)}:web/core/lib/Drupal.php`], {
      env: { GIT_DIR: state('git') },
    })
    expect(committed.stdout + '\n').toBe(edited)

    await writeFile(file, 'later edit')
    await call('sandbox.reset', { verify: true })
    expect(await readFile(file, 'utf8')).toBe(edited)
  })
})

describe('sandbox reset through the CLI', () => {
  it('says how it proved the result, and --verify reads every file', async () => {
    await p.kernel.close()
    expect((await runCli(p, ['sandbox', 'snapshot'])).exitCode).toBe(0)
    await writeFile(at('web/index.php'), 'changed')
    const fast = await runCli(p, ['sandbox', 'reset'])
    expect(fast.stdout).toMatch(/^reset to the snapshot .* proved by stat cache/)
    const full = json(await runCli(p, ['sandbox', 'reset', '--verify', '--json']))
    expect(full).toMatchObject({ was_clean: true, proof: 'hash' })
  })
})
