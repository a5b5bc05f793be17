import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { constants } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { allowOverrides, REPO } from '../../../../test/helpers/project.js'
import { hashTree } from '../../src/sandbox/tree.js'
import { actor, listTree, scaffoldProject, type ScaffoldProject } from '../helpers.js'

// Tries to write every target it is given, then does everything careless tooling does inside
// the site: edits, deletes, adds ignored files, changes modes, links out, nests a .git, a fifo.
const VANDAL = `<?php
$wrote = [];
foreach (array_slice($argv, 1) as $target) {
  $wrote[$target] = @file_put_contents($target, "escaped\\n") !== false;
}
file_put_contents('web/index.php', "<?php // vandalised\\n");
unlink('web/core/lib/Drupal.php');
file_put_contents('vendor/cache.bin', random_bytes(64));
mkdir('web/modules/custom/junk/deep', 0777, true);
file_put_contents('web/modules/custom/junk/deep/x.php', '<?php');
chmod('vendor/bin/tool', 0600);
chmod('web/sites/default/settings.php', 0666);
symlink('/etc/passwd', 'web/passwd-link');
rmdir('web/themes/custom');
mkdir('web/modules/custom/nested/.git', 0755, true);
file_put_contents('web/modules/custom/nested/.git/HEAD', 'ref: refs/heads/main');
posix_mkfifo('web/pipe', 0600);
mkdir('locked');
chmod('locked', 0);
echo json_encode($wrote), "\\n";
`

let p: ScaffoldProject
beforeEach(async () => {
  p = await scaffoldProject()
  // The tests reopen the kernel with protected keys as flags; the project config lets them.
  await allowOverrides(p, ['sandbox.isolation', 'sandbox.limits', 'launcher.isolation'])
  await mkdir(path.join(p.source, 'qa'))
  await writeFile(path.join(p.source, 'qa/vandal.php'), VANDAL)
  await p.kernel.gate.invoke('sandbox.init', { from: 'site-source' }, actor)
})
afterEach(() => p.cleanup())

const signalName = (n: number) => Object.entries(constants.signals).find(([, value]) => value === n)?.[0]
const call = (tool: string, input: unknown = {}, kernel = p.kernel) => kernel.gate.invoke(tool, input, actor)

describe('the sandbox profile', () => {
  it('lets a QA command write only inside the sandbox, and reset undoes all it wrote', async () => {
    const tag = randomBytes(4).toString('hex')
    const outside = [
      path.join(p.dir, `escaped-${tag}`),
      path.join(p.home, `escaped-${tag}`),
      path.join(p.home, 'sandbox/git/HEAD'),
      path.join(p.home, 'sandbox/snapshot.json'),
      path.join(REPO, `escaped-${tag}`),
      `/var/tmp/driftcore-escaped-${tag}`,
    ]
    const snapshot = (await call('sandbox.snapshot')).output as { tree_hash: string }
    const gitHead = await readFile(path.join(p.home, 'sandbox/git/HEAD'), 'utf8')
    const manifest = await readFile(path.join(p.home, 'sandbox/snapshot.json'), 'utf8')
    const before = await listTree(p.site)

    const kernel = await p.reopen([
      `qa.chain=${JSON.stringify([{ name: 'vandal', command: 'php', args: ['qa/vandal.php', ...outside] }])}`,
    ])
    try {
      const result = (await call('qa.runTests', {}, kernel)).output as {
        steps: { status: string; output_tail: string }[]
      }
      expect(result.steps[0]).toMatchObject({ status: 'passed' })
      const wrote = JSON.parse(result.steps[0]!.output_tail) as Record<string, boolean>
      // Outside /tmp (a private, discarded tmpfs in the sandbox) the filesystem is read-only.
      expect(wrote[path.join(REPO, `escaped-${tag}`)]).toBe(false)
      expect(wrote[`/var/tmp/driftcore-escaped-${tag}`]).toBe(false)
    } finally {
      await kernel.close()
    }
    for (const file of outside.filter((f) => f.includes(tag)))
      await expect(readFile(file)).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await readFile(path.join(p.home, 'sandbox/git/HEAD'), 'utf8')).toBe(gitHead)
    expect(await readFile(path.join(p.home, 'sandbox/snapshot.json'), 'utf8')).toBe(manifest)
    expect(await readFile(path.join(p.site, 'web/index.php'), 'utf8')).toContain('vandalised')

    const reset = await call('sandbox.reset')
    expect(reset.output).toMatchObject({ tree_hash: snapshot.tree_hash, was_clean: false })
    expect((await hashTree(p.site)).hash).toBe(snapshot.tree_hash)
    expect(await listTree(p.site)).toEqual(before)
  })

  describe('network', () => {
    let server: Server
    let port: number
    beforeEach(async () => {
      server = createServer((socket) => socket.end('hello from the host\n'))
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      port = (server.address() as { port: number }).port
    })
    afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())))

    const connect = () => ({
      command: 'php',
      args: [
        '-r',
        `$s = @fsockopen("127.0.0.1", ${port}, $no, $err, 2); if (!$s) { fwrite(STDERR, "no network: $err\\n"); exit(7); } echo fgets($s);`,
      ],
    })

    it('is out of reach of a command in the sandbox', async () => {
      const result = await call('sandbox.exec', connect())
      expect(result.output).toMatchObject({ exit_code: 7, stderr: expect.stringContaining('no network') })
    })

    it('is reachable by the same command once isolation is explicitly turned off', async () => {
      const kernel = await p.reopen(['sandbox.isolation=off'])
      try {
        const result = await call('sandbox.exec', connect(), kernel)
        expect(result.output).toMatchObject({ exit_code: 0, stdout: 'hello from the host\n' })
      } finally {
        await kernel.close()
      }
    })
  })

  it('fails closed, running nothing, when bubblewrap cannot provide the isolation', async () => {
    const marker = path.join(p.site, 'ran')
    const touch = { command: 'php', args: ['-r', `touch(${JSON.stringify(marker)});`] }
    // A launcher told to isolate with unshare only cannot make the filesystem read-only.
    const kernel = await p.reopen([
      'launcher.isolation=unshare',
      `qa.chain=${JSON.stringify([{ name: 'touch', ...touch }])}`,
    ])
    try {
      await expect(call('sandbox.exec', touch, kernel)).rejects.toMatchObject({
        code: 'unavailable',
        message: expect.stringContaining('bubblewrap'),
      })
      await expect(call('qa.runTests', {}, kernel)).rejects.toMatchObject({ code: 'unavailable' })
      await expect(call('sandbox.snapshot', {}, kernel)).rejects.toMatchObject({ code: 'unavailable' })
    } finally {
      await kernel.close()
    }
    await expect(readFile(marker)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('stops a command at the wall-clock limit', async () => {
    const kernel = await p.reopen(['sandbox.limits.wall_clock_ms=700'])
    try {
      const result = await call('sandbox.exec', { command: 'php', args: ['-r', 'sleep(30);'] }, kernel)
      expect(result.output).toMatchObject({ timed_out: true })
      expect((result.output as { duration_ms: number }).duration_ms).toBeLessThan(10_000)
    } finally {
      await kernel.close()
    }
  })

  it('stops a command at the memory limit', async () => {
    const kernel = await p.reopen([`sandbox.limits.memory_bytes=${256 * 1024 * 1024}`])
    try {
      const grab = {
        command: 'php',
        args: ['-d', 'memory_limit=-1', '-r', '$s = str_repeat("x", 512 * 1024 * 1024); echo strlen($s);'],
      }
      const result = await call('sandbox.exec', grab, kernel)
      expect(result.output).toMatchObject({ stdout: '' })
      expect((result.output as { exit_code: number }).exit_code).not.toBe(0)
    } finally {
      await kernel.close()
    }
  })

  it('stops a command at the CPU limit', async () => {
    const kernel = await p.reopen(['sandbox.limits.cpu_seconds=1'])
    try {
      const result = await call('sandbox.exec', { command: 'php', args: ['-r', 'while (true) {}'] }, kernel)
      const output = result.output as { exit_code: number | null; signal: string | null; timed_out: boolean }
      expect(output.timed_out).toBe(false)
      // bubblewrap reports its child's death by signal N as exit code 128 + N.
      expect(output.signal ?? signalName(output.exit_code! - 128)).toMatch(/^(SIGXCPU|SIGKILL)$/)
    } finally {
      await kernel.close()
    }
  })
})

describe('sandbox.apply', () => {
  beforeEach(async () => {
    await call('sandbox.snapshot')
  })

  it('writes and deletes files and applies a patch, all inside the custom-modules folder', async () => {
    await call('scaffold.module', { name: 'hello_world' })
    const patch = [
      '--- a/hello_world/README.md',
      '+++ b/hello_world/README.md',
      '@@ -1,3 +1,3 @@',
      '-# Hello world',
      '+# Hello, patched world',
      ' ',
      ' Hello world.',
      '',
    ].join('\n')
    const result = await call('sandbox.apply', {
      files: [{ path: 'hello_world/src/Extra.php', content: '<?php\n' }],
      patch,
    })
    expect(result.output).toEqual({
      written: ['hello_world/src/Extra.php'],
      deleted: [],
      patched: ['hello_world/README.md'],
    })
    const modules = path.join(p.site, 'web/modules/custom')
    expect(await readFile(path.join(modules, 'hello_world/README.md'), 'utf8')).toMatch(
      /^# Hello, patched world\n/,
    )
    expect(await readFile(path.join(modules, 'hello_world/src/Extra.php'), 'utf8')).toBe('<?php\n')
  })

  it.each([
    ['climbs out with ".."', '../../../index.php', 'climbs out'],
    ['is absolute', '/etc/cron.d/evil', 'is absolute'],
    ['names .git', 'x/.git/config', '.git'],
  ])('refuses a file path that %s and changes nothing', async (_what, target, reason) => {
    const before = await listTree(p.site)
    await expect(call('sandbox.apply', { files: [{ path: target, content: 'x' }] })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining(reason),
    })
    expect(await listTree(p.site)).toEqual(before)
  })

  it('refuses a path through a symlink, even one that stays in the site', async () => {
    const modules = path.join(p.site, 'web/modules/custom')
    await import('node:fs/promises').then((fs) => fs.symlink('../../../vendor', path.join(modules, 'linked')))
    await expect(
      call('sandbox.apply', { files: [{ path: 'linked/autoload.php', content: 'x' }] }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('symbolic link'),
    })
    expect(await readFile(path.join(p.site, 'vendor/autoload.php'), 'utf8')).toContain(
      'ignored by .gitignore',
    )
  })

  it('refuses a patch that climbs out of the folder, and changes nothing', async () => {
    const before = await listTree(p.site)
    const patch = [
      '--- a/../../index.php',
      '+++ b/../../index.php',
      '@@ -1 +1 @@',
      '-<?php',
      '+<?php // patched',
      '',
    ].join('\n')
    await expect(call('sandbox.apply', { patch })).rejects.toMatchObject({ code: 'invalid_input' })
    expect(await listTree(p.site)).toEqual(before)
  })

  it('refuses a patch that renames a file out of the folder, and changes nothing', async () => {
    await call('scaffold.module', { name: 'hello_world' })
    const before = await listTree(p.site)
    const patch = [
      'diff --git a/hello_world/README.md b/../../../README.md',
      'similarity index 100%',
      'rename from hello_world/README.md',
      'rename to ../../../README.md',
      '',
    ].join('\n')
    await expect(call('sandbox.apply', { patch })).rejects.toMatchObject({ code: 'invalid_input' })
    expect(await listTree(p.site)).toEqual(before)
  })

  it('applies all files or none when one path is bad', async () => {
    const before = await listTree(p.site)
    await expect(
      call('sandbox.apply', {
        files: [
          { path: 'ok/first.php', content: '<?php\n' },
          { path: '../bad.php', content: 'x' },
        ],
      }),
    ).rejects.toMatchObject({ code: 'invalid_input' })
    expect(await listTree(p.site)).toEqual(before)
    await rm(path.join(p.site, 'web/modules/custom/ok'), { recursive: true, force: true })
  })
})
