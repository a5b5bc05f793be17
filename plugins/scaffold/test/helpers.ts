import { chmod, mkdir, readFile, readdir, lstat, readlink, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Kernel } from 'driftcore'
import { tempProject, testKernel, workspacePlugin, type TempProject } from '../../../test/helpers/project.js'
import scaffoldCapabilities from '../src/hooks/capabilities.js'

export const actor = { type: 'agent', id: 'experimenter' }

/** Lets every tool run, so tests exercise the tools rather than the default approval rules. */
export const ALLOW_ALL = `apiVersion: driftcore/v1
kind: PolicyBundle
name: test
rules:
  - id: allow-all
    decision: ALLOW
`

export interface ScaffoldProject extends TempProject {
  kernel: Kernel
  /** The sandbox site (sandbox.path). */
  site: string
  /** A small Drupal-shaped site to copy into the sandbox. */
  source: string
  reopen(flags?: string[]): Promise<Kernel>
}

/** A temp project with the scaffold plugin, an allow-all policy and a small Drupal-shaped site. */
export async function scaffoldProject(
  options: { config?: string; flags?: string[] } = {},
): Promise<ScaffoldProject> {
  const project = await tempProject({
    config: options.config ?? 'launcher:\n  allowlist: [git, php, node]\n',
    policy: { 'allow.yaml': ALLOW_ALL },
  })
  const source = path.join(project.dir, 'site-source')
  await makeDrupalSite(source)
  const open = async (flags: string[] = options.flags ?? []) =>
    testKernel(project, [workspacePlugin('scaffold', await scaffoldCapabilities())], flags)
  const kernel = await open()
  return {
    ...project,
    kernel,
    source,
    site: path.join(project.home, 'sandbox', 'site'),
    reopen: open,
    cleanup: async () => {
      await kernel.close()
      await project.cleanup()
    },
  }
}

/**
 * Enough of a Drupal 11 site to exercise the sandbox: core and contrib modules, a .gitignore that
 * ignores vendor/ and files/, an executable, a symlink, an empty folder and a read-only settings.php.
 */
export async function makeDrupalSite(root: string): Promise<void> {
  const files: Record<string, string> = {
    'composer.json': '{"name": "example/site", "require": {"drupal/core-recommended": "^11"}}\n',
    '.gitignore': '/vendor/\n/web/sites/*/files/\n*.log\n',
    'web/index.php':
      "<?php\n\nuse Drupal\\Core\\DrupalKernel;\n\n$autoloader = require_once 'autoload.php';\n",
    'web/core/lib/Drupal.php': "<?php\n\nclass Drupal {\n  const VERSION = '11.1.0';\n}\n",
    'web/core/modules/node/node.info.yml': 'name: Node\ntype: module\npackage: Core\nversion: VERSION\n',
    'web/modules/contrib/token/token.info.yml':
      'name: Token\ntype: module\ncore_version_requirement: ^10 || ^11\n',
    'web/modules/custom/.gitkeep': '',
    'web/sites/default/settings.php': "<?php\n\n$settings['hash_salt'] = 'not-a-real-salt';\n",
    'web/sites/default/files/css/cached.css': 'body{}\n',
    'vendor/autoload.php': '<?php\n// ignored by .gitignore, but part of the site all the same\n',
    'vendor/bin/tool': '#!/bin/sh\necho tool\n',
  }
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true })
    await writeFile(path.join(root, rel), content)
  }
  await chmod(path.join(root, 'vendor/bin/tool'), 0o755)
  await chmod(path.join(root, 'web/sites/default/settings.php'), 0o444)
  await symlink('../vendor/autoload.php', path.join(root, 'web/autoload.php'))
  await mkdir(path.join(root, 'web/themes/custom'), { recursive: true })
}

/** Every entry below `root` with its type, permission bits and bytes: a second, independent picture of a tree. */
export async function listTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const name of await readdir(root, { recursive: true })) {
    const full = path.join(root, name)
    const info = await lstat(full)
    const mode = (info.mode & 0o7777).toString(8)
    out[name] = info.isSymbolicLink()
      ? `link -> ${await readlink(full)}`
      : info.isDirectory()
        ? `dir ${mode}`
        : info.isFile()
          ? `file ${mode} ${(await readFile(full)).toString('base64')}`
          : `other ${mode}`
  }
  return out
}
