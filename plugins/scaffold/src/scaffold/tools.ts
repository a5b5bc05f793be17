import { defineTool, type ToolContext, type ToolDefinition } from 'driftcore/api'
import { z } from 'zod'
import { pluginConfig } from '../config/sections.js'
import { scaffoldWork } from '../paths/in-process.js'
import { sandboxLayout } from '../sandbox/layout.js'
import { exclusive, shared } from '../sandbox/tools.js'
import { machineNameSchema } from './machine-name.js'
import { checkModule, planModule, type ModulePlan } from './plan.js'
import { listTemplates, loadTemplate } from './templates.js'
import { writeModule } from './write.js'

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/
const freeText = z
  .string()
  .min(1)
  .max(200)
  .refine((text) => !CONTROL.test(text), 'no line breaks or control characters')

const moduleInput = () =>
  z.object({
    name: machineNameSchema.describe(
      'the machine name: ^[a-z][a-z0-9_]*$, at most 50 characters, not a PHP reserved word',
    ),
    template: z.string().min(1).optional().describe('a template id (default: scaffold.template)'),
    parts: z
      .array(z.string())
      .optional()
      .describe("the template's optional parts to include (default: its defaults)"),
    label: freeText.optional(),
    description: freeText.optional(),
    package: freeText.optional(),
    vars: z.record(z.string(), freeText).default({}).describe("values for the template's own variables"),
    force: z.boolean().default(false).describe('write into an existing module folder, overwriting its files'),
  })

const planOutput = z.lazy(() =>
  z.object({
    module: z.string(),
    template: z.string(),
    template_source: z.enum(['project', 'builtin']),
    parts: z.array(z.string()),
    directory: z.string(),
    files: z.array(
      z.object({ path: z.string(), action: z.enum(['create', 'overwrite']), bytes: z.number() }),
    ),
    tree: z.string(),
    checks: z.object({ php_lint: z.number(), yaml: z.number() }),
    dry_run: z.boolean(),
  }),
)

async function plan(input: z.output<ReturnType<typeof moduleInput>>, ctx: ToolContext): Promise<ModulePlan> {
  const layout = sandboxLayout(ctx.paths, ctx.config)
  return planModule(ctx, layout, {
    ...input,
    template: input.template ?? pluginConfig(ctx.config).scaffold.template,
  })
}

const withoutContent = (p: ModulePlan, dryRun: boolean) => ({
  ...p,
  files: p.files.map(({ content: _content, ...file }) => file),
  dry_run: dryRun,
})

const scaffoldPlan = defineTool({
  id: 'scaffold.plan',
  title: 'Preview a scaffolded module',
  description:
    'Renders and checks a module exactly as scaffold.module would (name rules, paths, php -l, YAML) and returns its file tree, writing nothing.',
  capability: 'scaffold.read',
  risk: ['read'],
  requires: ['php'],
  inProcess: scaffoldWork,
  input: moduleInput,
  output: () => planOutput,
  locks: shared,
  async run(input, ctx) {
    return withoutContent(await plan(input, ctx), true)
  },
})

const scaffoldModule = defineTool({
  id: 'scaffold.module',
  title: 'Scaffold a Drupal module',
  description:
    "Generates a Drupal 10.3+/11 module from a template into the sandbox's custom-modules folder. Refuses a taken or invalid machine name; writes nothing unless every file passes its checks.",
  capability: 'scaffold.write',
  risk: ['write'],
  requires: ['php'],
  inProcess: scaffoldWork,
  input: moduleInput,
  output: () => planOutput,
  locks: exclusive,
  // A taken name or a missing sandbox asks nobody to approve it.
  async precheck(input, env) {
    await checkModule(env, sandboxLayout(env.paths, env.config), {
      ...input,
      template: input.template ?? pluginConfig(env.config).scaffold.template,
    })
  },
  // Rendering and php -l change nothing; the approval is used as the files are written.
  effects: 'marked',
  verdict: (p) => ({
    ok: true,
    summary: `scaffolded module ${p.module} in ${p.directory}: ${p.files.length} files${p.parts.length > 0 ? ` (${p.parts.join(', ')})` : ''}`,
  }),
  async run(input, ctx) {
    const checked = await plan(input, ctx)
    await ctx.beginEffects()
    await writeModule(sandboxLayout(ctx.paths, ctx.config), checked)
    return withoutContent(checked, false)
  },
})

const templates = defineTool({
  id: 'scaffold.templates',
  title: 'List scaffold templates',
  description:
    "The templates scaffold can use: the project's (.driftcore/templates/) and the built-ins (templates/); a project template shadows a built-in of the same id.",
  capability: 'scaffold.read',
  risk: ['read'],
  inProcess: scaffoldWork,
  input: () => z.object({}),
  output: () =>
    z.object({
      templates: z.array(
        z.object({
          id: z.string(),
          source: z.enum(['project', 'builtin']),
          path: z.string(),
          shadowed: z.boolean(),
          description: z.string().optional(),
          parts: z.array(z.string()).optional(),
          error: z.string().optional(),
        }),
      ),
    }),
  async run(_input, ctx) {
    const found = await listTemplates(ctx.paths)
    return {
      templates: await Promise.all(
        found.map(async (t) => {
          const base = { id: t.id, source: t.source, path: t.dir, shadowed: t.shadowed }
          if (t.shadowed) return base
          // A broken project template is listed with its problem rather than hiding the others.
          try {
            const { manifest } = await loadTemplate(ctx.paths, t.id)
            return { ...base, description: manifest.description, parts: Object.keys(manifest.parts) }
          } catch (error) {
            return { ...base, error: (error as Error).message }
          }
        }),
      ),
    }
  },
})

export const scaffoldTools: ToolDefinition[] = [scaffoldPlan, scaffoldModule, templates]
