import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { execa } from 'execa'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { actor, listTree, scaffoldProject, type ScaffoldProject } from '../helpers.js'

let p: ScaffoldProject
let modules: string
beforeEach(async () => {
  p = await scaffoldProject()
  await p.kernel.gate.invoke('sandbox.init', { from: 'site-source' }, actor)
  modules = path.join(p.site, 'web/modules/custom')
})
afterEach(() => p.cleanup())

const call = (tool: string, input: unknown) => p.kernel.gate.invoke(tool, input, actor)
const ALL_PARTS = ['routing', 'service', 'form', 'block', 'hooks', 'tests']

async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
}

/** A project template whose one file is `source`, written to `target`. */
async function projectTemplate(id: string, source: string, target = 'out.php', extra = ''): Promise<void> {
  const dir = path.join(p.home, 'templates', id)
  await mkdir(dir, { recursive: true })
  await writeFile(
    path.join(dir, 'template.yaml'),
    `description: test template\n${extra}files:\n  - source: file.mustache\n    target: '${target}'\n`,
  )
  await writeFile(path.join(dir, 'file.mustache'), source)
}

describe('scaffold module', () => {
  it('generates a Drupal 10.3+/11 module whose PHP passes php -l and whose YAML parses', async () => {
    const result = await call('scaffold.module', {
      name: 'hello_world',
      parts: ALL_PARTS,
      label: "Ada's \\ greeting",
    })
    const files = (await filesBelow(path.join(modules, 'hello_world'))).sort()
    expect(files).toEqual(
      [
        'README.md',
        'config/install/hello_world.settings.yml',
        'config/schema/hello_world.schema.yml',
        'hello_world.info.yml',
        'hello_world.module',
        'hello_world.routing.yml',
        'hello_world.services.yml',
        'src/Controller/HelloWorldController.php',
        'src/Form/SettingsForm.php',
        'src/Greeter.php',
        'src/Hook/HelloWorldHooks.php',
        'src/Plugin/Block/HelloWorldBlock.php',
        'tests/src/Unit/HelloWorldTest.php',
      ].sort(),
    )
    expect(result.output).toMatchObject({
      module: 'hello_world',
      directory: 'web/modules/custom/hello_world',
      dry_run: false,
    })
    for (const file of files) {
      const full = path.join(modules, 'hello_world', file)
      if (/\.(php|module)$/.test(file)) {
        const lint = await execa('php', ['-l', full], { reject: false })
        expect(lint.exitCode, `${file}: ${lint.stdout}`).toBe(0)
      }
      if (file.endsWith('.yml')) expect(parse(await readFile(full, 'utf8')), file).toBeTruthy()
    }
    const info = parse(await readFile(path.join(modules, 'hello_world/hello_world.info.yml'), 'utf8'))
    expect(info).toMatchObject({
      name: "Ada's \\ greeting",
      type: 'module',
      core_version_requirement: '^10.3 || ^11',
    })
    const block = await readFile(
      path.join(modules, 'hello_world/src/Plugin/Block/HelloWorldBlock.php'),
      'utf8',
    )
    expect(block).toContain('#[Block(')
    expect(block).not.toContain('@Block')
    expect(await readFile(path.join(modules, 'hello_world/src/Hook/HelloWorldHooks.php'), 'utf8')).toContain(
      "#[Hook('help')]",
    )
  })

  it('includes only the chosen parts', async () => {
    await call('scaffold.module', { name: 'only_block', parts: ['block'] })
    expect((await filesBelow(path.join(modules, 'only_block'))).sort()).toEqual(
      ['README.md', 'only_block.info.yml', 'src/Plugin/Block/OnlyBlockBlock.php'].sort(),
    )
  })

  it('previews the file tree without writing anything', async () => {
    const before = await listTree(p.site)
    const result = await call('scaffold.plan', { name: 'preview_me', parts: ['routing'] })
    expect(result.output).toMatchObject({ dry_run: true, checks: { php_lint: 1, yaml: 2 } })
    expect((result.output as { tree: string }).tree).toBe(
      [
        'web/modules/custom/preview_me/',
        '├── src/',
        '│   └── Controller/',
        '│       └── PreviewMeController.php',
        '├── preview_me.info.yml',
        '├── preview_me.routing.yml',
        '└── README.md',
      ].join('\n'),
    )
    expect(await listTree(p.site)).toEqual(before)
  })

  it.each([
    ['Hello', 'lower-case'],
    ['1module', 'lower-case'],
    ['my-module', 'lower-case'],
    ['../escape', 'lower-case'],
    ['a'.repeat(51), 'at most 50'],
    ['class', 'PHP reserved word'],
    ['list', 'PHP reserved word'],
  ])('rejects the machine name %j and writes nothing', async (name, reason) => {
    const before = await listTree(p.site)
    await expect(call('scaffold.module', { name })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining(reason),
    })
    expect(await listTree(p.site)).toEqual(before)
  })

  it.each([
    ['node', 'web/core/modules/node/node.info.yml'],
    ['token', 'web/modules/contrib/token/token.info.yml'],
  ])('refuses %s, a module that already exists in the sandbox, even with force', async (name, where) => {
    const before = await listTree(p.site)
    for (const force of [false, true]) {
      await expect(call('scaffold.module', { name, force })).rejects.toMatchObject({
        code: 'conflict',
        message: expect.stringContaining(where),
      })
    }
    expect(await listTree(p.site)).toEqual(before)
  })

  it('overwrites its own module only with force', async () => {
    await call('scaffold.module', { name: 'again' })
    await writeFile(path.join(modules, 'again/again.info.yml'), 'edited: true\n')
    await expect(call('scaffold.module', { name: 'again' })).rejects.toMatchObject({ code: 'conflict' })
    expect(await readFile(path.join(modules, 'again/again.info.yml'), 'utf8')).toBe('edited: true\n')
    const forced = await call('scaffold.module', { name: 'again', force: true })
    expect(forced.output).toMatchObject({
      files: expect.arrayContaining([
        expect.objectContaining({ path: 'again.info.yml', action: 'overwrite' }),
      ]),
    })
    expect(await readFile(path.join(modules, 'again/again.info.yml'), 'utf8')).toContain('type: module')
  })

  it('refuses an unknown template, naming the ones there are', async () => {
    await expect(call('scaffold.module', { name: 'x1', template: 'wordpress-plugin' })).rejects.toMatchObject(
      {
        code: 'not_found',
        hint: expect.stringContaining('drupal-module'),
      },
    )
    await expect(readdir(path.join(modules, 'x1'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('refuses a template that uses a missing variable, naming file, line and variable, and writes nothing', async () => {
    await projectTemplate('broken', '<?php\n// {{machine_name}}\n$x = "{{no_such_thing}}";\n')
    const before = await listTree(p.site)
    await expect(call('scaffold.module', { name: 'x2', template: 'broken' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/file\.mustache:3:7: the template uses \{\{no_such_thing\}\}/),
    })
    expect(await listTree(p.site)).toEqual(before)
  })

  it('refuses a template whose generated PHP does not lint, and writes nothing', async () => {
    await projectTemplate('bad-php', '<?php\nfunction {{machine_name}}( {\n')
    const before = await listTree(p.site)
    await expect(call('scaffold.module', { name: 'x3', template: 'bad-php' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('fails php -l'),
    })
    expect(await listTree(p.site)).toEqual(before)
  })

  it.each([
    ['a path that climbs out', '../../../escape.php', 'climbs out'],
    ['an absolute path', '/tmp/driftcore-escape-{{machine_name}}.php', 'is absolute'],
    ['a .git folder', '.git/hooks/post-checkout', '.git'],
  ])('refuses a template target that is %s', async (_what, target, reason) => {
    await projectTemplate('escape', '<?php\n', target)
    const before = await listTree(p.site)
    await expect(call('scaffold.module', { name: 'x4', template: 'escape' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining(reason),
    })
    expect(await listTree(p.site)).toEqual(before)
    await expect(readFile('/tmp/driftcore-escape-x4.php')).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('refuses to write through a symlink that leads out of the sandbox', async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), 'driftcore-outside-'))
    try {
      await rm(modules, { recursive: true })
      await symlink(outside, modules)
      await expect(call('scaffold.module', { name: 'x5' })).rejects.toMatchObject({
        code: 'invalid_input',
        message: expect.stringContaining('writes must stay inside the sandbox'),
      })
      expect(await readdir(outside)).toEqual([])
    } finally {
      await rm(outside, { recursive: true, force: true })
    }
  })

  it("uses the project's template over the built-in one of the same id, and lists both", async () => {
    await projectTemplate(
      'drupal-module',
      '<?php\n// project template for {{machine_name}}\n',
      '{{machine_name}}.php',
    )
    const result = await call('scaffold.module', { name: 'mine' })
    expect(result.output).toMatchObject({ template_source: 'project' })
    expect(await readFile(path.join(modules, 'mine/mine.php'), 'utf8')).toContain('project template for mine')
    const list = (await call('scaffold.templates', {})).output as {
      templates: { id: string; source: string; shadowed: boolean }[]
    }
    expect(list.templates.filter((t) => t.id === 'drupal-module')).toEqual([
      expect.objectContaining({ source: 'project', shadowed: false }),
      expect.objectContaining({ source: 'builtin', shadowed: true }),
    ])
  })

  it('refuses a template source that links outside its template folder', async () => {
    await projectTemplate('leaky', '')
    const file = path.join(p.home, 'templates/leaky/file.mustache')
    await rm(file)
    await symlink('/etc/hostname', file)
    await expect(call('scaffold.module', { name: 'x6', template: 'leaky' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('outside the template folder'),
    })
  })
})
