import { z } from 'zod'

const GiB = 1024 * 1024 * 1024

/**
 * The plugin's config sections. Defaults live in the schemas, as for the core sections, so
 * `driftcore config effective` shows the values in force and unknown keys are errors.
 */
export const sandboxSection = z
  .strictObject({
    path: z
      .string()
      .min(1)
      .default('.driftcore/sandbox/site')
      .describe('the sandbox site (kept as a git working copy), relative to the project'),
    isolation: z
      .enum(['strict', 'off'])
      .default('strict')
      .describe(
        'strict: commands run with no network and a read-only filesystem except the sandbox (bubblewrap), and fail when that cannot be enforced; off: an explicit opt-out',
      ),
    compose_file: z
      .string()
      .min(1)
      .optional()
      .describe(
        'the compose sandbox definition, relative to the project (default: sandbox/compose.yaml shipped with driftcore)',
      ),
    limits: z
      .strictObject({
        cpu_seconds: z.number().int().positive().default(300),
        memory_bytes: z
          .number()
          .int()
          .positive()
          .default(2 * GiB),
        wall_clock_ms: z.number().int().positive().default(600_000),
      })
      .prefault({}),
  })
  .prefault({})

export const scaffoldSection = z
  .strictObject({
    modules_dir: z
      .string()
      .min(1)
      .default('web/modules/custom')
      .describe(
        'the custom-modules folder, relative to the sandbox site: every scaffold and apply write stays inside it',
      ),
    template: z
      .string()
      .min(1)
      .default('drupal-module')
      .describe('the template `scaffold module` uses by default'),
  })
  .prefault({})

export const qaEntrySchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, 'QA entry names are lower-case letters, digits, "_" and "-"'),
  command: z
    .string()
    .min(1)
    .describe('an executable on launcher.allowlist; a path with a slash is relative to the sandbox site'),
  args: z.array(z.string()).default([]),
  for_each_changed: z
    .string()
    .min(1)
    .optional()
    .describe('run once per file changed since the snapshot that matches this glob, with the file appended'),
  junit: z
    .string()
    .min(1)
    .optional()
    .describe('a JUnit XML file the command writes, relative to the sandbox site'),
  continue_on_failure: z.boolean().default(false),
  timeout_ms: z.number().int().positive().optional(),
})

export const qaSection = z
  .strictObject({
    stop_on_failure: z.boolean().default(true),
    tail_lines: z.number().int().positive().max(1000).default(40),
    chain: z.array(qaEntrySchema).default([
      {
        name: 'php-lint',
        command: 'php',
        args: ['-l'],
        for_each_changed: '**/*.{php,module,install,inc,theme,profile,engine}',
        continue_on_failure: false,
      },
    ]),
  })
  .prefault({})
  .superRefine((qa, ctx) => {
    const seen = new Set<string>()
    qa.chain.forEach((entry, index) => {
      if (seen.has(entry.name))
        ctx.addIssue({
          code: 'custom',
          path: ['chain', index, 'name'],
          message: `duplicate QA entry "${entry.name}"`,
        })
      seen.add(entry.name)
    })
  })

export type SandboxConfig = z.output<typeof sandboxSection>
export type ScaffoldConfig = z.output<typeof scaffoldSection>
export type QaConfig = z.output<typeof qaSection>
export type QaEntry = z.output<typeof qaEntrySchema>

export const configSections = { sandbox: sandboxSection, scaffold: scaffoldSection, qa: qaSection }

/** The plugin's sections of the effective config (validated by the host against the schemas above). */
export function pluginConfig(config: Readonly<Record<string, unknown>>): {
  sandbox: SandboxConfig
  scaffold: ScaffoldConfig
  qa: QaConfig
} {
  return {
    sandbox: config.sandbox as SandboxConfig,
    scaffold: config.scaffold as ScaffoldConfig,
    qa: config.qa as QaConfig,
  }
}
