import { z } from 'zod'

const mib = 1024 * 1024

/**
 * The core config sections. Defaults live here, in the schema, so the built-in layer and the
 * validation can never disagree. Every object is strict: an unknown key is a typo until proved
 * otherwise. Plugins add their own sections through the capabilities hook.
 */
export const coreConfigSections = {
  project: z
    .strictObject({
      name: z.string().min(1).default('driftcore-project'),
      environment: z.string().min(1).default('dev').describe('dev, staging, prod… matched by policy rules'),
    })
    .prefault({}),
  audit: z
    .strictObject({
      fsync: z.enum(['always', 'batch', 'off']).default('batch'),
      batch_interval_ms: z.number().int().min(1).max(1000).default(10),
      segment_max_bytes: z
        .number()
        .int()
        .min(4096)
        .default(64 * mib),
      checkpoint_every: z
        .number()
        .int()
        .min(0)
        .default(1000)
        .describe(
          'sign a checkpoint of the chain each time it passes a multiple of this many records (0: only on request)',
        ),
      checkpoint_key: z
        .string()
        .min(1)
        .optional()
        .describe(
          'ed25519 private key (PEM) that signs checkpoints; default .driftcore/keys/audit-checkpoint.key',
        ),
      checkpoint_public_key: z
        .string()
        .min(1)
        .optional()
        .describe(
          'the public key audit verify checks checkpoints with; default: the private key path with .pub',
        ),
    })
    .prefault({}),
  launcher: z
    .strictObject({
      allowlist: z.array(z.string().min(1)).default(['git', 'php', 'drush', 'vendor/bin/drush']),
      env_passthrough: z.array(z.string()).default([]),
      default_timeout_ms: z.number().int().positive().default(600_000),
      kill_grace_ms: z.number().int().min(0).default(2_000),
      max_output_bytes: z.number().int().positive().default(mib),
      max_log_bytes: z
        .number()
        .int()
        .positive()
        .default(16 * mib),
      isolation: z.enum(['auto', 'bwrap', 'unshare']).default('auto'),
      containment: z
        .enum(['required', 'off'])
        .default('required')
        .describe(
          'required: every process runs in a PID namespace of its own (bubblewrap), so a timeout or cancel ends all it started; off: processes may outlive their calls',
        ),
    })
    .prefault({}),
  policy: z
    .strictObject({
      trusted_keys: z
        .array(z.string())
        .default([])
        .describe('ed25519 public keys (PEM files, relative to the project) that must sign every bundle'),
    })
    .prefault({}),
  config: z
    .strictObject({
      allow_overrides: z
        .array(z.string().min(1))
        .default([])
        .describe(
          'protected keys (globs) that packs, DRIFTCORE_* variables and --config flags may set; read from the project config only',
        ),
    })
    .prefault({}),
  approvals: z
    .strictObject({
      ttl_ms: z.number().int().positive().default(86_400_000),
      signing_key: z
        .string()
        .min(1)
        .optional()
        .describe(
          'your SSH key for signing approvals (user config): a private key file, or a .pub whose key is in ssh-agent; default: the first ssh-agent key in allowed_signers',
        ),
      require_signature: z
        .boolean()
        .optional()
        .describe(
          'true: refuse unsigned approvals even before any approver is listed; once .driftcore/allowed_signers lists one, they are always refused',
        ),
    })
    .prefault({}),
  artifacts: z
    .strictObject({
      max_bytes: z
        .number()
        .int()
        .positive()
        .default(256 * mib),
      inline_max_bytes: z
        .number()
        .int()
        .positive()
        .default(8 * 1024),
      retention_days: z
        .strictObject({
          short: z.number().positive().default(1),
          standard: z.number().positive().default(30),
          audit: z.number().positive().default(365),
        })
        .prefault({}),
    })
    .prefault({}),
  idempotency: z.strictObject({ window_ms: z.number().int().positive().default(86_400_000) }).prefault({}),
  locks: z.strictObject({ default_ttl_ms: z.number().int().positive().default(600_000) }).prefault({}),
  redaction: z
    .strictObject({
      extra_patterns: z.array(z.string()).default([]),
      sensitive_keys: z.array(z.string()).default([]),
    })
    .prefault({}),
  workflow: z
    .strictObject({
      concurrency: z
        .number()
        .int()
        .min(1)
        .default(16)
        .describe('steps running at once across every run in one process'),
      env_allowlist: z
        .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/))
        .default([])
        .describe('environment variables ${{ env.NAME }} may read'),
      poll_interval_ms: z
        .number()
        .int()
        .min(10)
        .default(500)
        .describe('how often a waiting run checks approvals and cancel requests'),
      notify: z
        .strictObject({
          sinks: z
            .record(
              z.string().regex(/^[a-z][a-z0-9_-]*$/),
              z.discriminatedUnion('type', [
                z.strictObject({
                  type: z.literal('file'),
                  path: z.string().min(1).describe('a JSON-lines file inside the project'),
                }),
                z.strictObject({
                  type: z.literal('webhook'),
                  url: z.url({ protocol: /^https?$/ }),
                  secret: z
                    .string()
                    .regex(/^secret:\/\//, 'a secret:// reference')
                    .describe('HMAC-SHA256 key for the X-Driftcore-Signature header'),
                  timeout_ms: z.number().int().positive().default(10_000),
                }),
              ]),
            )
            .default({}),
        })
        .prefault({}),
    })
    .prefault({}),
  pools: z
    .record(
      z.string().regex(/^[a-z][a-z0-9_-]*$/),
      z.strictObject({
        topics: z.array(z.string().min(1)).min(1).describe('topics this pool takes'),
        capabilities: z.array(z.string().min(1)).default([]).describe("what it offers a job's requires"),
        handler: z.union([
          z.strictObject({ tool: z.string().min(1).describe('a tool, called through the gate') }),
          z.strictObject({
            command: z
              .array(z.string().min(1))
              .min(1)
              .describe('an allowlisted program and its arguments; gets the job envelope on stdin'),
            timeout_ms: z.number().int().positive().optional(),
          }),
        ]),
      }),
    )
    .default({})
    .describe('worker pools: topic → pool (with capabilities) → handler'),
  files: z
    .strictObject({
      read_roots: z
        .array(z.string().min(1))
        .default([])
        .describe(
          'folders outside the project that tools may read by path (config exports kept elsewhere), relative to the project',
        ),
    })
    .prefault({}),
  limits: z
    .strictObject({
      max_yaml_bytes: z.number().int().positive().default(mib),
      max_input_bytes: z.number().int().positive().default(mib),
      cel_max_steps: z
        .number()
        .int()
        .positive()
        .default(1_000_000)
        .describe('the cost one CEL evaluation (one policy decision, one workflow expression) may reach'),
      cel_max_ms: z
        .number()
        .int()
        .positive()
        .default(1_000)
        .describe('the time one CEL evaluation may take, a backstop for costs that grow with the data'),
    })
    .prefault({}),
} satisfies Record<string, z.ZodType>

export type ConfigSections = Record<string, z.ZodType>

// One schema per set of sections: the defaults and the merged layers are checked by the same
// object, so zod builds its parser state for the whole config once per process.
const schemas = new WeakMap<ConfigSections, ReturnType<typeof buildConfigSchema>>()
const NO_SECTIONS: ConfigSections = {}

function buildConfigSchema(extra: ConfigSections) {
  return z.strictObject({ ...coreConfigSections, ...extra })
}

export function configSchema(extra: ConfigSections = NO_SECTIONS) {
  let schema = schemas.get(extra)
  if (!schema) schemas.set(extra, (schema = buildConfigSchema(extra)))
  return schema
}

/**
 * Parse options for the config: it is validated once or twice per process, where zod's JIT
 * (compiling a parser per object shape with `new Function`) costs more than it saves.
 */
export const ONE_SHOT_PARSE = { jitless: true } as const

export type CoreConfig = z.output<ReturnType<typeof buildConfigSchema>>
