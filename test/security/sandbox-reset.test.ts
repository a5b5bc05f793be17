import { deflateSync } from 'node:zlib'
import { createHash } from 'node:crypto'
import type { Stats } from 'node:fs'
import {
  chmod,
  lstat,
  mkdir,
  readFile,
  readdir,
  rename,
  rm,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises'
import path from 'node:path'
import { execa } from 'execa'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readGitIndex } from '../../plugins/scaffold/src/sandbox/git-index.js'
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
const git = (...args: string[]) =>
  execa('git', args, { env: { GIT_DIR: state('git'), GIT_WORK_TREE: p.site } })

// The stat cache's record of a file (`PATH`, NUL, `f MODE SIZE INO MTIME CTIME DIGEST OID`, NUL)
// with the stat fields replaced by `now`'s: what a forger writes to make an edit look untouched.
function forgeRecord(text: string, rel: string, now: Stats): string {
  const name = rel.replaceAll('.', '\\.')
  const record = new RegExp(`(^|\\0|\\n)(${name})\\0f ([0-7]+) \\S+ \\S+ \\S+ \\S+ ([0-9a-f]+ [0-9a-f]+)\\0`)
  return text.replace(record, `$1$2\0f $3 ${now.size} ${now.ino} ${now.mtimeMs} ${now.ctimeMs} $4\0`)
}

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
    const text = await readFile(state('stat-cache'), 'utf8')
    const forged = forgeRecord(text, 'web/index.php', await lstat(file))
    expect(forged).not.toBe(text)
    await writeFile(state('stat-cache'), forged)

    expect(await call('sandbox.reset')).toMatchObject({ was_clean: false, proof: 'hash' })
    expect(await readFile(file, 'utf8')).toBe(original)
    expect(await call('sandbox.reset')).toMatchObject({ was_clean: true, proof: 'stat' })
  })

  it('does not believe a stat cache in the old JSON format, even one whose digest is right', async () => {
    await call('sandbox.snapshot')
    const file = at('web/index.php')
    const original = await readFile(file, 'utf8')
    await writeFile(file, '<?php // mine\n')
    const text = await readFile(state('stat-cache'), 'utf8')
    const header = text.slice(65, text.indexOf('\n', 65)).split(' ')
    // Format 1 of the same snapshot, listing nothing: believed, it would find nothing to check.
    const body = JSON.stringify({
      version: 1,
      commit: header[2],
      tree_hash: header[3],
      stamp: '0',
      entries: [],
    })
    await writeFile(state('stat-cache'), `${createHash('sha256').update(body).digest('hex')}\n${body}`)

    expect(await call('sandbox.reset')).toMatchObject({ was_clean: false, proof: 'hash' })
    expect(await readFile(file, 'utf8')).toBe(original)
  })

  it('ignores a stat cache whose digest is right but whose records are cut short, miscounted or garbled', async () => {
    await call('sandbox.snapshot')
    const file = at('web/index.php')
    const original = await readFile(file, 'utf8')
    const body = (await readFile(state('stat-cache'), 'utf8')).slice(65)
    // Cut at a record's end, so what is left parses: believed, the rest of the site would be
    // "new" and removed. Its count no longer matches; with the count put right, the manifest's.
    const cut = body.slice(0, body.indexOf('web/index.php\0'))
    const kept = cut.split('\0').length >> 1
    const recounted = cut.replace(/^(.*) \d+\n/, `$1 ${kept}\n`)
    const garbled = body.replace(/\0f [0-7]+ /, '\0f 9x ')
    const forgeries = [
      cut,
      recounted,
      garbled,
      body.replace('driftcore-stat-cache 2', 'driftcore-stat-cache 3'),
    ]
    for (const forged of forgeries) {
      expect(forged).not.toBe(body)
      await writeFile(file, '<?php // mine\n')
      await writeFile(state('stat-cache'), `${createHash('sha256').update(forged).digest('hex')}\n${forged}`)
      expect(await call('sandbox.reset')).toMatchObject({ was_clean: false, proof: 'hash' })
      expect(await readFile(file, 'utf8')).toBe(original)
    }
    expect(await call('sandbox.reset')).toMatchObject({ was_clean: true, proof: 'stat' })
  })

  it('a stat cache forged consistently (its digest and stamp recomputed) fools the fast path, and reset --verify catches it', async () => {
    await call('sandbox.snapshot')
    const file = at('web/index.php')
    const original = await readFile(file, 'utf8')
    await writeFile(file, '<?php // mine\n')
    const now = await lstat(file)
    // The cache's stamp moved past the edit too, so the entry no longer looks racy.
    const text = await readFile(state('stat-cache'), 'utf8')
    const body = forgeRecord(text.slice(65), 'web/index.php', now).replace(
      /^(driftcore-stat-cache 2 [0-9a-f]+ [0-9a-f]+) \S+ (\d+)\n/,
      `$1 ${now.ctimeMs + 1000} $2\n`,
    )
    expect(body).not.toBe(text.slice(65))
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

describe('sandbox snapshot of only what changed', () => {
  it('records exactly the site after edits, a removal, a new file and a chmod, without a second walk by git add', async () => {
    await call('sandbox.snapshot')
    await writeFile(at('web/index.php'), '<?php // edited\n')
    await rm(at('web/core/lib/Drupal.php'))
    await writeFile(at('web/new.php'), '<?php // new\n')
    await chmod(at('web/sites/default/settings.php'), 0o755)

    const snap = await call('sandbox.snapshot')
    expect(snap.tree_hash).toBe((await hashTree(p.site)).hash)
    const commit = String(snap.commit)
    expect((await git('show', `${commit}:web/index.php`)).stdout).toBe('<?php // edited')
    expect((await git('show', `${commit}:web/new.php`)).stdout).toBe('<?php // new')
    expect((await git('ls-tree', commit, 'web/sites/default/settings.php')).stdout).toMatch(/^100755 /)
    expect((await git('ls-tree', '-r', '--name-only', commit)).stdout.split('\n')).not.toContain(
      'web/core/lib/Drupal.php',
    )
    const files = Object.entries(await listTree(p.site))
      .filter(([, what]) => !what.startsWith('dir'))
      .map(([rel]) => rel)
    expect((await git('ls-tree', '-r', '--name-only', commit)).stdout.split('\n').sort()).toEqual(
      files.sort(),
    )
    // The commit's parent is the snapshot before it, and the ref names the new one.
    expect((await git('rev-parse', 'refs/driftcore/snapshot')).stdout).toBe(commit)
    expect((await git('rev-list', '--count', commit)).stdout).toBe('2')

    await writeFile(at('web/index.php'), 'later')
    await writeFile(at('web/core/lib/Drupal.php'), 'back')
    expect(await call('sandbox.reset', { verify: true })).toMatchObject({ was_clean: false, proof: 'hash' })
    expect(await readFile(at('web/index.php'), 'utf8')).toBe('<?php // edited\n')
  })

  it("reads git's index file as ls-files does, and not one cut short or edited without its checksum", async () => {
    await call('sandbox.snapshot')
    const indexFile = state('git/index')
    const listed = new Map(
      (await git('ls-files', '--stage', '-z')).stdout
        .split('\0')
        .filter((line) => line.length > 0)
        .map((line) => [
          line.slice(line.indexOf('\t') + 1),
          line.slice(0, line.indexOf('\t')).replace(/ 0$/, ''),
        ]),
    )
    expect(readGitIndex(indexFile)).toEqual(listed)

    const bytes = await readFile(indexFile)
    const copy = path.join(p.dir, 'index-copy')
    await writeFile(copy, bytes.subarray(0, bytes.length - 30))
    expect(readGitIndex(copy)).toBeUndefined()
    const flipped = Buffer.from(bytes)
    flipped[12 + 45] = flipped[12 + 45]! ^ 0xff // a byte of the first entry's blob id
    await writeFile(copy, flipped)
    expect(readGitIndex(copy)).toBeUndefined()
    // An entry git would skip (skip-worktree): not a plain index, so the fast path declines it.
    await git('update-index', '--skip-worktree', 'web/index.php')
    expect(readGitIndex(indexFile)).toBeUndefined()
  })

  it('does not commit what an index edited behind the snapshot says: the blob on disk is recorded', async () => {
    await call('sandbox.snapshot')
    const truth = await readFile(at('web/index.php'), 'utf8')
    // Point the index's entry at another file's blob, as a same-user shell could.
    const other = (await git('rev-parse', ':web/core/lib/Drupal.php')).stdout
    await git('update-index', '--cacheinfo', `100644,${other},web/index.php`)

    const snap = await call('sandbox.snapshot')
    expect((await git('show', `${String(snap.commit)}:web/index.php`)).stdout + '\n').toBe(truth)
    expect(snap.tree_hash).toBe((await hashTree(p.site)).hash)
  })
})

describe('sandbox snapshot writes git objects itself', () => {
  // Stat data git keeps for an entry: zero for one the fast path gave the index (`--index-info`).
  const statOf = async (rel: string) => (await git('ls-files', '--debug', '--', rel)).stdout

  it('writes blobs and the commit as git would: fsck --strict is clean and the tree is the one git add makes', async () => {
    await call('sandbox.snapshot')
    const first = String((await git('rev-parse', 'refs/driftcore/snapshot')).stdout)
    await writeFile(at('web/index.php'), '<?php // edited by the agent\n')
    await rm(at('web/autoload.php'))
    await symlink('../vendor/other.php', at('web/autoload.php'))
    await writeFile(at('web/odd\nname.txt'), 'a path with a newline\n')
    await chmod(at('web/sites/default/settings.php'), 0o755)

    const snap = await call('sandbox.snapshot')
    const commit = String(snap.commit)
    // The fast path ran: the changed entries came through --index-info, not git add.
    expect(await statOf('web/index.php')).toMatch(/ctime: 0:0/)
    expect(await statOf('web/autoload.php')).toMatch(/ctime: 0:0/)
    // fsck objects only to HEAD naming a ref outside refs/heads (how the sandbox points it); the
    // objects themselves, ours included, must pass its strict checks.
    const fsck = await execa('git', ['fsck', '--strict', '--no-dangling', '--no-progress', commit], {
      env: { GIT_DIR: state('git') },
      reject: false,
    })
    expect(
      `${fsck.stdout}\n${fsck.stderr}`
        .split('\n')
        .filter((l) => l.length > 0 && !l.includes('HEAD points to something strange')),
    ).toEqual([])
    expect((await git('cat-file', '-t', commit)).stdout).toBe('commit')
    expect((await git('rev-parse', `${commit}^`)).stdout).toBe(first)
    expect((await git('cat-file', '-p', `${commit}:web/autoload.php`)).stdout).toBe('../vendor/other.php')
    expect((await git('cat-file', '-p', `${commit}:web/odd\nname.txt`)).stdout).toBe('a path with a newline')
    // git's own picture of the site, built in a scratch index by git add, has the same tree.
    const scratch = path.join(p.dir, 'scratch-index')
    const env = { GIT_DIR: state('git'), GIT_WORK_TREE: p.site, GIT_INDEX_FILE: scratch }
    await execa('git', ['add', '--all', '--force', '--', '.'], { env, cwd: p.site })
    const gitTree = (await execa('git', ['write-tree'], { env })).stdout
    expect((await git('rev-parse', `${commit}^{tree}`)).stdout).toBe(gitTree)
    expect(snap.tree_hash).toBe((await hashTree(p.site)).hash)

    await writeFile(at('web/index.php'), 'later')
    await call('sandbox.reset', { verify: true })
    expect(await readFile(at('web/index.php'), 'utf8')).toBe('<?php // edited by the agent\n')
  })

  it("writes git's index with a cache-tree git reads as its own: the same entries, trees and a clean status", async () => {
    await call('sandbox.snapshot')
    await writeFile(at('web/core/lib/Drupal.php'), '<?php // deeper edit\n')
    await rm(at('web/index.php'))
    await mkdir(at('web/core/new'), { recursive: true })
    await writeFile(at('web/core/new/Added.php'), '<?php // added\n')
    const snap = await call('sandbox.snapshot')
    const commit = String(snap.commit)
    expect(await statOf('web/core/new/Added.php')).toMatch(/ctime: 0:0/)

    const staged = (await git('ls-files', '--stage')).stdout.replaceAll(' 0\t', '\t')
    const committed = (await git('ls-tree', '-r', '--full-tree', commit)).stdout.replace(
      /^(\d+) blob /gm,
      '$1 ',
    )
    expect(staged).toBe(committed)
    // write-tree answers from the cache-tree we wrote, for the whole tree and for a folder.
    expect((await git('write-tree')).stdout).toBe((await git('rev-parse', `${commit}^{tree}`)).stdout)
    expect((await git('write-tree', '--prefix=web/core/')).stdout).toBe(
      (await git('rev-parse', `${commit}:web/core`)).stdout,
    )
    expect(
      (
        await execa('git', ['status', '--porcelain'], {
          env: { GIT_DIR: state('git'), GIT_WORK_TREE: p.site },
          cwd: p.site,
        })
      ).stdout,
    ).toBe('')

    // Without the stat cache the next snapshot goes through git add and git commit, which trust
    // that cache-tree for every folder they did not touch: the result is still git's own tree.
    await rm(state('stat-cache'))
    await writeFile(at('web/core/new/Added.php'), '<?php // changed again\n')
    const next = String((await call('sandbox.snapshot')).commit)
    const scratch = path.join(p.dir, 'scratch-index-2')
    const env = { GIT_DIR: state('git'), GIT_WORK_TREE: p.site, GIT_INDEX_FILE: scratch }
    await execa('git', ['add', '--all', '--force', '--', '.'], { env, cwd: p.site })
    expect((await git('rev-parse', `${next}^{tree}`)).stdout).toBe(
      (await execa('git', ['write-tree'], { env })).stdout,
    )

    // Moves that keep a folder's entry count (a file up a level, one renamed beside itself):
    // the folders on the way are hashed again, not taken from the old cache-tree.
    await rename(at('web/modules/contrib/token/token.info.yml'), at('web/modules/token.info.yml'))
    await rename(at('vendor/bin/tool'), at('vendor/bin/tool2'))
    const third = String((await call('sandbox.snapshot')).commit)
    expect(await statOf('web/modules/token.info.yml')).toMatch(/ctime: 0:0/)
    const scratch3 = path.join(p.dir, 'scratch-index-3')
    const env3 = { ...env, GIT_INDEX_FILE: scratch3 }
    await execa('git', ['add', '--all', '--force', '--', '.'], { env: env3, cwd: p.site })
    expect((await git('rev-parse', `${third}^{tree}`)).stdout).toBe(
      (await execa('git', ['write-tree'], { env: env3 })).stdout,
    )
    expect((await git('write-tree', '--prefix=web/modules/')).stdout).toBe(
      (await git('rev-parse', `${third}:web/modules`)).stdout,
    )
  })

  it('does not believe an object planted under the id of an edit before the snapshot writes it', async () => {
    await call('sandbox.snapshot')
    const edited = Buffer.from('<?php // the edit the snapshot must keep\n')
    const oid = createHash('sha1').update(`blob ${edited.length}\0`).update(edited).digest('hex')
    // A same-user shell plants other bytes under the name the edit will have.
    const evil = Buffer.from('<?php system($_GET["c"]);\n')
    await mkdir(state(`git/objects/${oid.slice(0, 2)}`), { recursive: true })
    await writeFile(
      state(`git/objects/${oid.slice(0, 2)}/${oid.slice(2)}`),
      deflateSync(Buffer.concat([Buffer.from(`blob ${edited.length}\0`), evil])),
    )
    await writeFile(at('web/index.php'), edited)

    const snap = await call('sandbox.snapshot')
    expect(await statOf('web/index.php')).toMatch(/ctime: 0:0/)
    expect((await git('cat-file', 'blob', `${String(snap.commit)}:web/index.php`)).stdout + '\n').toBe(
      edited.toString(),
    )
    await writeFile(at('web/index.php'), 'later')
    expect(await call('sandbox.reset', { verify: true })).toMatchObject({ was_clean: false, proof: 'hash' })
    expect(await readFile(at('web/index.php'))).toEqual(edited)
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
