import { createHash } from 'node:crypto'
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { execa } from 'execa'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { listTree, makeDrupalSite } from '../../plugins/scaffold/test/helpers.js'
import { ConfinedDir } from '../../src/store/confine.js'
import { json, REPO, runCli, tempProject, testKernel, type TempProject } from '../helpers/project.js'

// A hostile agent controls every tool input. These are the ways it tried to make a tool write
// or read outside the folder the tool is meant for; each asserts that nothing outside changed
// and nothing from outside came back.

const ALLOW_ALL = `apiVersion: driftcore/v1
kind: PolicyBundle
name: test
rules:
  - id: allow-all
    decision: ALLOW
`
// What the agent wants to drop into .driftcore/policy/: a bundle that allows everything.
const ROGUE_BUNDLE = ALLOW_ALL.replace('name: test', 'name: rogue').replace('allow-all', 'rogue-allow')

const EXAMPLE = path.join(REPO, 'sandbox/example-site/config')

/** A unified diff that creates the symlink `link` (relative to the modules folder) pointing at `target`. */
function linkPatch(link: string, target: string): string {
  return [
    `diff --git a/${link} b/${link}`,
    'new file mode 120000',
    '--- /dev/null',
    `+++ b/${link}`,
    '@@ -0,0 +1 @@',
    `+${target}`,
    '\\ No newline at end of file',
    '',
  ].join('\n')
}

function filePatch(file: string, content: string): string {
  return [
    `diff --git a/${file} b/${file}`,
    'new file mode 100644',
    '--- /dev/null',
    `+++ b/${file}`,
    '@@ -0,0 +1 @@',
    `+${content}`,
    '',
  ].join('\n')
}

/** The bundle files in .driftcore/policy/ (its snapshots/ folder is driftcore's own). */
async function bundles(home: string): Promise<string[]> {
  return (await readdir(path.join(home, 'policy'))).filter((name) => name !== 'snapshots')
}

async function exists(file: string): Promise<boolean> {
  return lstat(file).then(
    () => true,
    () => false,
  )
}

let p: TempProject
/** A folder beside the project, outside it: where an escape would land. */
let outside: string
const cli = (...args: string[]) => runCli(p, args)

afterEach(async () => {
  await p.cleanup()
  await rm(outside, { recursive: true, force: true })
})

describe('sandbox.apply with a symlink its own patch creates', () => {
  let modules: string
  beforeEach(async () => {
    p = await tempProject({
      config: 'launcher:\n  allowlist: [git, php]\n',
      policy: { 'allow.yaml': ALLOW_ALL },
    })
    outside = await mkdtemp(path.join(os.tmpdir(), 'driftcore-outside-'))
    await makeDrupalSite(path.join(p.dir, 'site'))
    expect((await cli('sandbox', 'init', '--from', 'site')).exitCode).toBe(0)
    modules = path.join(p.home, 'sandbox/site/web/modules/custom')
  })

  it('a link onto .driftcore/policy plus a --write through it writes no bundle there, and nothing at all', async () => {
    const policy = path.join(p.home, 'policy')
    const before = await listTree(path.join(p.home, 'sandbox/site'))
    await writeFile(path.join(p.dir, 'link.diff'), linkPatch('evil/l', policy))
    await writeFile(path.join(p.dir, 'rogue.yaml'), ROGUE_BUNDLE)
    const result = await cli(
      'sandbox',
      'apply',
      '--patch',
      'link.diff',
      '--write',
      'evil/l/zz-rogue.yaml=@rogue.yaml',
    )
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toMatch(/points outside|outside the custom-modules folder/)
    expect(await bundles(p.home)).toEqual(['allow.yaml'])
    expect(await listTree(path.join(p.home, 'sandbox/site'))).toEqual(before)
  })

  it('a relative link climbing to .driftcore/ is refused just the same', async () => {
    await writeFile(path.join(p.dir, 'link.diff'), linkPatch('evil/l', '../../../../../../policy'))
    await writeFile(path.join(p.dir, 'rogue.yaml'), ROGUE_BUNDLE)
    const result = await cli(
      'sandbox',
      'apply',
      '--patch',
      'link.diff',
      '--write',
      'evil/l/zz-rogue.yaml=@rogue.yaml',
    )
    expect(result.exitCode).toBe(2)
    expect(await bundles(p.home)).toEqual(['allow.yaml'])
    expect(await exists(path.join(modules, 'evil'))).toBe(false)
  })

  it('a --delete through a link the patch creates deletes nothing outside', async () => {
    await writeFile(path.join(outside, 'victim.txt'), 'keep me\n')
    await writeFile(path.join(p.dir, 'link.diff'), linkPatch('evil/l', outside))
    const result = await cli('sandbox', 'apply', '--patch', 'link.diff', '--delete', 'evil/l/victim.txt')
    expect(result.exitCode).not.toBe(0)
    expect(await readFile(path.join(outside, 'victim.txt'), 'utf8')).toBe('keep me\n')
    expect(await exists(path.join(modules, 'evil'))).toBe(false)
  })

  it.each([
    ['an absolute path outside the project', () => outside],
    ['the site, outside the custom-modules folder', () => '../../../vendor'],
    ['.driftcore/ by a relative climb', () => '../../../../../../state'],
  ])(
    'a patch that only creates a link to %s is refused before anything is written',
    async (_what, target) => {
      const before = await listTree(path.join(p.home, 'sandbox/site'))
      await writeFile(path.join(p.dir, 'link.diff'), linkPatch('mod/out', target()))
      const result = await cli('sandbox', 'apply', '--patch', 'link.diff')
      expect(result.exitCode).toBe(2)
      expect(result.stderr).toContain('mod/out')
      expect(await listTree(path.join(p.home, 'sandbox/site'))).toEqual(before)
    },
  )

  it('a patch that retargets a link inside the folder to somewhere outside is refused, and the link is kept', async () => {
    await writeFile(
      path.join(p.dir, 'ok.diff'),
      filePatch('mod/real.txt', 'hi') + linkPatch('mod/in', 'real.txt'),
    )
    expect((await cli('sandbox', 'apply', '--patch', 'ok.diff')).exitCode).toBe(0)
    const retarget = [
      'diff --git a/mod/in b/mod/in',
      'index 0000000..0000000 120000',
      '--- a/mod/in',
      '+++ b/mod/in',
      '@@ -1 +1 @@',
      '-real.txt',
      '\\ No newline at end of file',
      `+${outside}`,
      '\\ No newline at end of file',
      '',
    ].join('\n')
    await writeFile(path.join(p.dir, 'retarget.diff'), retarget)
    const result = await cli('sandbox', 'apply', '--patch', 'retarget.diff')
    expect(result.exitCode).toBe(2)
    const { readlink } = await import('node:fs/promises')
    expect(await readlink(path.join(modules, 'mod/in'))).toBe('real.txt')
  })

  it('a link that stays inside the custom-modules folder is still applied', async () => {
    await writeFile(
      path.join(p.dir, 'ok.diff'),
      filePatch('mod/real.txt', 'hi') + linkPatch('mod/in', 'real.txt'),
    )
    const result = await cli('sandbox', 'apply', '--patch', 'ok.diff', '--json')
    expect(result.exitCode).toBe(0)
    expect(json(result).patched).toEqual(['mod/real.txt', 'mod/in'])
  })

  it('a link left by a program run in the sandbox carries no later write or scaffold out', async () => {
    const policy = path.join(p.home, 'policy')
    const made = await cli(
      'sandbox',
      'exec',
      '--',
      'php',
      '-r',
      `symlink(${JSON.stringify(policy)}, 'web/modules/custom/evil');`,
    )
    expect(made.exitCode).toBe(0)
    await writeFile(path.join(p.dir, 'rogue.yaml'), ROGUE_BUNDLE)
    expect((await cli('sandbox', 'apply', '--write', 'evil/zz-rogue.yaml=@rogue.yaml')).exitCode).toBe(2)
    expect((await cli('scaffold', 'module', 'evil', '--force')).exitCode).toBe(2)
    expect(await bundles(p.home)).toEqual(['allow.yaml'])
  })

  it('a patch that links out and writes through the link in one go changes nothing outside', async () => {
    const patch = linkPatch('evil/l', outside) + filePatch('evil/l/dropped.txt', 'escaped')
    await writeFile(path.join(p.dir, 'both.diff'), patch)
    const result = await cli('sandbox', 'apply', '--patch', 'both.diff')
    expect(result.exitCode).toBe(2)
    expect(await readdir(outside)).toEqual([])
  })
})

describe('drift.accept into a baseline that leads elsewhere', () => {
  beforeEach(async () => {
    p = await tempProject({ policy: { 'allow.yaml': ALLOW_ALL } })
    outside = await mkdtemp(path.join(os.tmpdir(), 'driftcore-outside-'))
    const { cp } = await import('node:fs/promises')
    await cp(path.join(EXAMPLE, 'baseline'), path.join(p.dir, 'config/sync'), { recursive: true })
    await cp(path.join(EXAMPLE, 'current'), path.join(p.dir, 'current'), { recursive: true })
    await mkdir(path.join(p.dir, 'current/language/fr'), { recursive: true })
    await writeFile(path.join(p.dir, 'current/language/fr/system.site.yml'), 'name: Bonjour\n')
    await mkdir(path.join(p.dir, 'current/policy'), { recursive: true })
    await writeFile(path.join(p.dir, 'current/policy/zz_rogue.yml'), ROGUE_BUNDLE)
  })

  it('writes nothing through a collection sub-folder that is a symlink out of the baseline', async () => {
    await mkdir(path.join(p.dir, 'config/sync/language'), { recursive: true })
    await symlink(outside, path.join(p.dir, 'config/sync/language/fr'))
    const result = await cli(
      'drift',
      'accept',
      '--baseline',
      'config/sync',
      '--current',
      'current',
      '--object',
      'language.fr:system.site',
      '--object',
      'node.type.event',
    )
    expect(result.exitCode).not.toBe(0)
    expect(result.stderr).toContain('language/fr')
    expect(await readdir(outside)).toEqual([])
    expect(await exists(path.join(p.dir, 'config/sync/node.type.event.yml'))).toBe(false)
  })

  it('refuses .driftcore/ as the baseline, so no config object becomes a policy bundle', async () => {
    const result = await cli(
      'drift',
      'accept',
      '--baseline',
      '.driftcore',
      '--current',
      'current',
      '--object',
      'policy:zz_rogue',
      '--json',
    )
    expect(result.exitCode).toBe(11)
    expect(json(result).error.code).toBe('forbidden')
    expect(await bundles(p.home)).toEqual(['allow.yaml'])
  })

  it('refuses a baseline folder outside the project', async () => {
    const { cp } = await import('node:fs/promises')
    await cp(path.join(EXAMPLE, 'baseline'), outside, { recursive: true })
    const before = await readdir(outside)
    const result = await cli(
      'drift',
      'accept',
      '--baseline',
      outside,
      '--current',
      'current',
      '--object',
      'node.type.event',
      '--json',
    )
    expect(result.exitCode).toBe(11)
    expect(await readdir(outside)).toEqual(before)
  })

  it('refuses a baseline that is a symlink to a folder outside the project', async () => {
    const { cp } = await import('node:fs/promises')
    await cp(path.join(EXAMPLE, 'baseline'), outside, { recursive: true })
    await symlink(outside, path.join(p.dir, 'config/linked'))
    const before = await readdir(outside)
    const result = await cli(
      'drift',
      'accept',
      '--baseline',
      'config/linked',
      '--current',
      'current',
      '--object',
      'node.type.event',
    )
    expect(result.exitCode).toBe(11)
    expect(await readdir(outside)).toEqual(before)
  })
})

describe('read tools stay inside the project and the folders it names', () => {
  const SECRET = 'TOPSECRET-4f1c9a'
  beforeEach(async () => {
    p = await tempProject()
    outside = await mkdtemp(path.join(os.tmpdir(), 'driftcore-outside-'))
    const { cp } = await import('node:fs/promises')
    await cp(path.join(EXAMPLE, 'baseline'), path.join(p.dir, 'config/sync'), { recursive: true })
    await writeFile(path.join(outside, 'system.site.yml'), `name: ${SECRET}\nmail: ${SECRET}@example.test\n`)
    await mkdir(path.join(outside, 'fr'))
    await writeFile(path.join(outside, 'fr/system.site.yml'), `name: ${SECRET}\n`)
  })

  it.each([
    ['an absolute path', () => outside],
    ['a ../ path', () => path.relative(p.dir, outside)],
  ])('drift check refuses %s outside the project and returns none of its values', async (_what, spec) => {
    const result = await cli('drift', 'check', '--baseline', spec(), '--current', 'config/sync', '--json')
    expect(result.exitCode).toBe(11) // forbidden
    expect(json(result).error.code).toBe('forbidden')
    expect(result.stdout + result.stderr).not.toContain(SECRET)
  })

  it('drift check refuses a folder in the project that is a symlink to one outside', async () => {
    await symlink(outside, path.join(p.dir, 'config/linked'))
    const result = await cli(
      'drift',
      'check',
      '--baseline',
      'config/linked',
      '--current',
      'config/sync',
      '--json',
    )
    expect(json(result).error.code).toBe('forbidden')
    expect(result.stdout + result.stderr).not.toContain(SECRET)
  })

  it('drift check does not follow a symlinked sub-folder out of a config folder', async () => {
    const { cp } = await import('node:fs/promises')
    await cp(path.join(p.dir, 'config/sync'), path.join(p.dir, 'config/other'), { recursive: true })
    await mkdir(path.join(p.dir, 'config/other/language'), { recursive: true })
    await symlink(outside, path.join(p.dir, 'config/other/language/zz'))
    const linkedFolder = await cli(
      'drift',
      'check',
      '--baseline',
      'config/sync',
      '--current',
      'config/other',
      '--json',
    )
    expect(linkedFolder.exitCode).toBe(0)
    expect(linkedFolder.stdout + linkedFolder.stderr).not.toContain(SECRET)
    await symlink(path.join(outside, 'system.site.yml'), path.join(p.dir, 'config/other/linked.yml'))
    const linkedFile = await cli(
      'drift',
      'check',
      '--baseline',
      'config/sync',
      '--current',
      'config/other',
      '--json',
    )
    expect(json(linkedFile).error.message).toContain('linked.yml is a symbolic link')
    expect(linkedFile.stdout + linkedFile.stderr).not.toContain(SECRET)
  })

  it('drift check refuses a file inside .driftcore/', async () => {
    await mkdir(path.join(p.home, 'state'), { recursive: true })
    await writeFile(path.join(p.home, 'state/approvals.json'), `{"requests": {"x": "${SECRET}"}}`)
    const result = await cli(
      'drift',
      'check',
      '--baseline',
      '.driftcore/state/approvals.json',
      '--current',
      'config/sync',
      '--json',
    )
    expect(json(result).error.code).toBe('forbidden')
    expect(result.stdout + result.stderr).not.toContain(SECRET)
  })

  it('drift snapshot refuses a source outside the project', async () => {
    const result = await cli('drift', 'snapshot', '--source', outside, '--json')
    expect(json(result).error.code).toBe('forbidden')
    expect(await exists(path.join(p.home, 'drift/baselines/main.json'))).toBe(false)
  })

  it('tools call drift.check refuses the same (what an MCP agent sends)', async () => {
    const input = JSON.stringify({ baseline: outside, current: 'config/sync' })
    const result = await cli('tools', 'call', 'drift.check', '--input', input, '--json')
    expect(json(result).error.code).toBe('forbidden')
    expect(result.stdout + result.stderr).not.toContain(SECRET)
  })

  it('an agent over MCP (the official SDK client) gets a forbidden tool error and none of the values', async () => {
    const { stdioClient } = await import('../../plugins/mcp/test/helpers.js')
    const connected = await stdioClient(p)
    try {
      for (const baseline of [outside, path.relative(p.dir, outside), path.join(outside, 'fr')]) {
        const result = (await connected.client.callTool({
          name: 'drift.check',
          arguments: { baseline, current: 'config/sync' },
        })) as { isError?: boolean; content: { text: string }[]; _meta?: Record<string, { code: string }> }
        expect(result.isError).toBe(true)
        expect(result._meta?.['driftcore/error']?.code).toBe('forbidden')
        expect(JSON.stringify(result)).not.toContain(SECRET)
      }
    } finally {
      await connected.close()
    }
  })

  it('sandbox.composeCheck refuses a compose or env file outside the project', async () => {
    await writeFile(path.join(outside, 'compose.yaml'), `services:\n  x:\n    image: ${SECRET}\n`)
    for (const input of [
      { file: path.join(outside, 'compose.yaml') },
      { env_file: path.join(outside, 'system.site.yml') },
    ]) {
      const result = await cli(
        'tools',
        'call',
        'sandbox.composeCheck',
        '--input',
        JSON.stringify(input),
        '--json',
      )
      expect(json(result).error.code).toBe('forbidden')
      expect(result.stdout + result.stderr).not.toContain(SECRET)
    }
  })

  it('a project guide that is a symlink to a file outside is not served', async () => {
    await mkdir(path.join(p.home, 'guides'), { recursive: true })
    await symlink(path.join(outside, 'system.site.yml'), path.join(p.home, 'guides/leak.md'))
    const result = await cli('resources', 'read', 'driftcore://docs/guides/leak', '--json')
    expect(result.exitCode).not.toBe(0)
    expect(result.stdout + result.stderr).not.toContain(SECRET)
  })

  it('a saved baseline that is a symlink out of .driftcore/ is an integrity error, and is not read', async () => {
    await writeFile(
      path.join(outside, 'x.json'),
      JSON.stringify([{ file: 'system.site.yml', sha256: SECRET, size: 1 }]),
    )
    await mkdir(path.join(p.home, 'drift/baselines'), { recursive: true })
    await symlink(path.join(outside, 'x.json'), path.join(p.home, 'drift/baselines/main.json'))
    const result = await cli('drift', 'check', '--baseline', 'main', '--current', 'config/sync', '--json')
    expect(json(result).error.code).toBe('integrity')
    expect(result.stdout + result.stderr).not.toContain(SECRET)
  })

  it('a project template whose template.yaml is a symlink out is refused', async () => {
    await mkdir(path.join(p.home, 'templates/leak'), { recursive: true })
    await writeFile(path.join(outside, 'template.yaml'), `description: ${SECRET}\nfiles: []\n`)
    await symlink(path.join(outside, 'template.yaml'), path.join(p.home, 'templates/leak/template.yaml'))
    const input = JSON.stringify({ name: 'leaky', template: 'leak' })
    await mkdir(path.join(p.home, 'sandbox/site'), { recursive: true })
    const result = await cli('tools', 'call', 'scaffold.plan', '--input', input, '--json')
    expect(json(result).error.message).toContain('symbolic link')
    expect(result.stdout + result.stderr).not.toContain(SECRET)
  })

  it('a folder named in files.read_roots may be read', async () => {
    await writeFile(path.join(p.home, 'config.yaml'), `files:\n  read_roots: [${JSON.stringify(outside)}]\n`)
    const result = await cli('drift', 'check', '--baseline', outside, '--current', 'config/sync', '--json')
    expect(result.exitCode).toBe(20) // read, and drift found
    expect(json(result).baseline.objects).toBe(2)
  })
})

describe('the artifact store', () => {
  it('writes no artifact through a symlinked folder inside the store', async () => {
    p = await tempProject()
    outside = await mkdtemp(path.join(os.tmpdir(), 'driftcore-outside-'))
    const content = 'agent-chosen bytes\n'
    const hash = createHash('sha256').update(content).digest('hex')
    await mkdir(path.join(p.home, 'artifacts/sha256'), { recursive: true })
    await symlink(outside, path.join(p.home, 'artifacts/sha256', hash.slice(0, 2)))
    const kernel = await testKernel(p)
    try {
      await expect(kernel.artifacts.put(content)).rejects.toMatchObject({ code: 'integrity' })
    } finally {
      await kernel.close()
    }
    expect(await readdir(outside)).toEqual([])
  })
})

describe('a race against the check', () => {
  beforeEach(async () => {
    p = await tempProject()
    outside = await mkdtemp(path.join(os.tmpdir(), 'driftcore-outside-'))
  })

  // The race a check-then-write loses: another process swaps a folder on the way for a symlink
  // to outside, as fast as it can, while writes go on. However they interleave, nothing may
  // ever land outside.
  it('never lands a write outside while another process flips a folder on the way to a symlink', async () => {
    const root = path.join(p.dir, 'root')
    await mkdir(root)
    const dir = await ConfinedDir.open(root, { what: 'the test folder' })
    const flip = path.join(root, 'flip')
    const flipper = execa(
      process.execPath,
      [
        '-e',
        `const fs = require('fs'); const [flip, out] = process.argv.slice(1);
         for (;;) {
           try { fs.rmSync(flip, { recursive: true, force: true }) } catch {}
           try { fs.symlinkSync(out, flip) } catch {}
           try { fs.rmSync(flip, { recursive: true, force: true }) } catch {}
           try { fs.mkdirSync(flip) } catch {}
         }`,
        flip,
        outside,
      ],
      { reject: false },
    )
    const outcomes = { written: 0, refused: 0 }
    try {
      for (let i = 0; i < 200; i++) {
        await dir.writeFile(`flip/f${i}.txt`, 'x', { sync: false }).then(
          () => outcomes.written++,
          () => outcomes.refused++,
        )
      }
    } finally {
      flipper.kill('SIGKILL')
      await flipper
    }
    expect(outcomes.written + outcomes.refused).toBe(200)
    expect(await readdir(outside)).toEqual([])
  })
})
