import { readFile, readdir, realpath } from 'node:fs/promises'
import path from 'node:path'
import { ConfinedDir, DriftcoreError, isDriftcoreError, loadYamlText, type ProjectPaths } from 'driftcore/api'
import { z } from 'zod'
import { checkRelativePath, isWithin } from '../paths/confine.js'
import { hostFile } from '../paths/host.js'

const NAME = /^[a-z][a-z0-9_]*$/
const TEMPLATE_ID = /^[a-z0-9][a-z0-9-]*$/

const manifestSchema = z.lazy(() =>
  z.strictObject({
    description: z.string().min(1),
    variables: z
      .record(
        z.string().regex(NAME, 'variable names are lower-case letters, digits and _'),
        z.strictObject({ description: z.string().min(1), default: z.string().optional() }),
      )
      .default({}),
    parts: z
      .record(
        z.string().regex(NAME, 'part names are lower-case letters, digits and _'),
        z.strictObject({ description: z.string().min(1), default: z.boolean().default(false) }),
      )
      .default({}),
    files: z
      .array(
        z.strictObject({
          source: z.string().min(1),
          target: z.string().min(1).describe('a mustache template for the path inside the module folder'),
          parts: z
            .array(z.string())
            .min(1)
            .optional()
            .describe('include the file when any of these parts is chosen'),
        }),
      )
      .min(1),
  }),
)

export type TemplateManifest = z.output<typeof manifestSchema>
export type TemplateSource = 'project' | 'builtin'

export interface TemplateInfo {
  id: string
  source: TemplateSource
  dir: string
}

export interface LoadedTemplate extends TemplateInfo {
  manifest: TemplateManifest
  /** Each file's source text, by its `source` name. */
  sources: Map<string, string>
}

/** The host's built-in templates. */
export const builtinTemplatesDir = () => hostFile('templates')

async function templateIds(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  return entries.filter((e) => e.isDirectory() && TEMPLATE_ID.test(e.name)).map((e) => e.name)
}

/** Every template, the project's first: a project template shadows the built-in of the same id. */
export async function listTemplates(paths: ProjectPaths): Promise<(TemplateInfo & { shadowed: boolean })[]> {
  const project = await templateIds(paths.templates)
  const builtin = await templateIds(builtinTemplatesDir())
  return [
    ...project.sort().map((id) => ({
      id,
      source: 'project' as const,
      dir: path.join(paths.templates, id),
      shadowed: false,
    })),
    ...builtin.sort().map((id) => ({
      id,
      source: 'builtin' as const,
      dir: path.join(builtinTemplatesDir(), id),
      shadowed: project.includes(id),
    })),
  ]
}

/** Finds a template by id (the project's wins) and reads its manifest and every source file. */
export async function loadTemplate(paths: ProjectPaths, id: string): Promise<LoadedTemplate> {
  const all = await listTemplates(paths)
  const info = TEMPLATE_ID.test(id) ? all.find((t) => t.id === id && !t.shadowed) : undefined
  if (!info) {
    throw new DriftcoreError('not_found', `unknown template "${id}"`, {
      hint: `available: ${[...new Set(all.map((t) => t.id))].join(', ') || '(none)'}; see \`driftcore scaffold templates list\``,
      details: { template: id },
    })
  }
  const manifestFile = path.join(info.dir, 'template.yaml')
  // The manifest is read like the sources: from the template folder itself, never through a link.
  const folder = await ConfinedDir.open(info.dir, { what: `template "${id}"` })
  const text = await folder.readFile('template.yaml').then(
    (bytes) => bytes.toString('utf8'),
    (error: unknown) => {
      if (isDriftcoreError(error, 'not_found'))
        throw new DriftcoreError('not_found', `template "${id}" has no template.yaml (${manifestFile})`)
      throw error
    },
  )
  const manifest = loadYamlText(text, manifestFile, manifestSchema)
  const realDir = folder.real
  const sources = new Map<string, string>()
  for (const [index, file] of manifest.files.entries()) {
    const where = `${manifestFile}: files[${index}]`
    for (const part of file.parts ?? []) {
      if (!Object.hasOwn(manifest.parts, part))
        throw new DriftcoreError(
          'invalid_input',
          `${where}.parts names "${part}", which is not among the template's parts`,
        )
    }
    const rel = checkRelativePath(file.source, `${where}.source`)
    const full = await realpath(path.join(info.dir, rel)).catch(() => {
      throw new DriftcoreError('not_found', `${where}.source: ${rel} does not exist in ${info.dir}`)
    })
    // A template reads only its own files: a source that links elsewhere could leak them into a module.
    if (!isWithin(full, realDir))
      throw new DriftcoreError(
        'invalid_input',
        `${where}.source: ${rel} resolves outside the template folder`,
      )
    sources.set(file.source, await readFile(full, 'utf8'))
  }
  return { ...info, manifest, sources }
}
