import { lstat } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError, type ToolContext, yamlLib } from 'driftcore/api'
import { formatTree } from '../formatters/tree.js'
import { assertNoSymlinks, checkRelativePath } from '../paths/confine.js'
import { openSite, type SandboxLayout } from '../sandbox/layout.js'
import { sandboxProfile } from '../sandbox/profile.js'
import { walkTree } from '../sandbox/tree.js'
import { loadTemplate, type TemplateSource } from './templates.js'
import { buildView, type ModuleRequest } from './view.js'

export interface PlannedFile {
  /** Inside the module folder, with forward slashes. */
  path: string
  action: 'create' | 'overwrite'
  bytes: number
  content: string
}

export interface ModulePlan {
  module: string
  template: string
  template_source: TemplateSource
  parts: string[]
  /** The module folder, relative to the sandbox site. */
  directory: string
  files: PlannedFile[]
  tree: string
  checks: { php_lint: number; yaml: number }
}

const PHP = /\.(php|module|install|inc|theme|profile|engine)$/
const YAML = /\.ya?ml$/

/**
 * Everything a scaffold would write, rendered and checked, with nothing written: the module
 * name is free, every path stays in the module folder, the PHP passes `php -l` and the YAML parses.
 */
export async function planModule(
  ctx: ToolContext,
  layout: SandboxLayout,
  request: ModuleRequest & { template: string; force: boolean },
): Promise<ModulePlan> {
  const { template, site, moduleRel } = await checkModule(ctx, layout, request)
  // The template engine loads on first use: every command start registers this plugin's tools.
  const { renderStrict } = await import('./render.js')
  const { view, parts } = buildView(template.manifest, request, template.id)

  const files: PlannedFile[] = []
  for (const file of template.manifest.files) {
    if (file.parts && !file.parts.some((p) => parts.includes(p))) continue
    const where = `${template.dir}/${file.source}`
    const target = checkRelativePath(renderStrict(file.target, view, `${where} (target)`), `${where}: target`)
    if (files.some((f) => f.path === target))
      throw new DriftcoreError('invalid_input', `${where}: target ${target} is produced twice`)
    const existing = await assertNoSymlinks(site, `${moduleRel}/${target}`, `${where}: target`)
    const content = renderStrict(template.sources.get(file.source)!, view, where)
    files.push({
      path: target,
      action: existing === 'absent' ? 'create' : 'overwrite',
      bytes: Buffer.byteLength(content),
      content,
    })
  }
  const checks = { php_lint: 0, yaml: 0 }
  for (const file of files) {
    if (PHP.test(file.path)) {
      await phpLint(ctx, layout, file)
      checks.php_lint += 1
    } else if (YAML.test(file.path)) {
      const doc = yamlLib().parseDocument(file.content, { uniqueKeys: true })
      if (doc.errors.length > 0)
        throw new DriftcoreError(
          'invalid_input',
          `generated ${file.path} is not valid YAML: ${doc.errors[0]!.message}`,
          {
            details: { file: file.path },
          },
        )
      checks.yaml += 1
    }
  }
  const directory = `${layout.modulesRel}/${request.name}`
  return {
    module: request.name,
    template: template.id,
    template_source: template.source,
    parts,
    directory,
    files,
    tree: formatTree(
      directory,
      files.map((f) => f.path),
    ),
    checks,
  }
}

/**
 * What a scaffold can know before rendering anything, reading only: the sandbox site exists,
 * the template loads, and the name is free (no module of that name anywhere in the site, no
 * folder in the way unless forced). It is scaffold.module's precheck, so a taken name asks
 * nobody to approve it.
 */
export async function checkModule(
  env: Pick<ToolContext, 'paths'>,
  layout: SandboxLayout,
  request: { name: string; template: string; force: boolean },
) {
  const siteInfo = await lstat(layout.site).catch(() => undefined)
  if (!siteInfo?.isDirectory()) {
    throw new DriftcoreError('not_found', `no sandbox site at ${layout.site}`, {
      hint: 'create one with: driftcore sandbox init --from PATH/TO/SITE',
    })
  }
  const template = await loadTemplate(env.paths, request.template)
  const site = await openSite(layout)
  const moduleRel = `${layout.modulesRel}/${request.name}`
  const folder = await assertNoSymlinks(site, moduleRel, 'module folder')
  await refuseExisting(layout, request.name, folder !== 'absent', request.force)
  return { template, site, moduleRel }
}

async function phpLint(ctx: ToolContext, layout: SandboxLayout, file: PlannedFile): Promise<void> {
  const result = await ctx.launcher.run({
    file: 'php',
    args: ['-n', '-l'],
    input: file.content,
    ...sandboxProfile(layout, { writable: [] }),
    // A lint in a read-only sandbox: an approved scaffold whose PHP fails it keeps its approval.
    changesNothing: true,
  })
  if (result.exitCode === 0) return
  const message = (result.stdout + result.stderr)
    .split('\n')
    .find((line) => /error/i.test(line))
    ?.replace('Standard input code', file.path)
  throw new DriftcoreError(
    'invalid_input',
    `generated ${file.path} fails php -l: ${message ?? `exit ${result.exitCode}`}`,
    {
      details: { file: file.path, output: (result.stdout + result.stderr).slice(-2000) },
    },
  )
}

// Drupal cannot hold two modules of one name: look for NAME.info.yml anywhere in the site
// (without following a symlink, which could lead anywhere, or round in a loop).
async function refuseExisting(
  layout: SandboxLayout,
  name: string,
  folderExists: boolean,
  force: boolean,
): Promise<void> {
  const infoFile = `${name}.info.yml`
  const found = (await walkTree(layout.site))
    .filter((e) => e.type === 'file' && path.posix.basename(e.path) === infoFile)
    .map((e) => e.path)
  const moduleRel = `${layout.modulesRel}/${name}`
  const elsewhere = found.filter((f) => path.posix.dirname(f) !== moduleRel)
  if (elsewhere.length > 0 || (found.length > 0 && !force)) {
    throw new DriftcoreError(
      'conflict',
      `a module named "${name}" already exists in the sandbox: ${found.join(', ')}`,
      {
        hint:
          elsewhere.length > 0
            ? 'choose another machine name'
            : 'choose another name, or pass --force to overwrite its files',
        details: { module: name, found },
      },
    )
  }
  if (folderExists && !force) {
    throw new DriftcoreError('conflict', `${moduleRel} already exists`, {
      hint: 'choose another name, or pass --force to write into it',
    })
  }
}
