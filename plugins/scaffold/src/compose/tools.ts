import path from 'node:path'
import {
  defineResource,
  defineTool,
  projectRoots,
  resolveWithin,
  type ResourceDefinition,
  type ToolContext,
  type ToolDefinition,
} from 'driftcore/api'
import { z } from 'zod'
import { composeWork } from '../paths/in-process.js'
import { checkCompose, composeFile, loadCompose } from './check.js'
import { envFileFor, readEnvFile } from './env-file.js'
import { environmentOf, mountOf } from './schema.js'

const composeCheck = defineTool({
  id: 'sandbox.composeCheck',
  title: 'Check the compose sandbox',
  description:
    "Checks sandbox/compose.yaml without a Docker engine: the schema, the sandbox's rules (non-root, no capabilities, internal network only, exported config read-only, secrets only as .env references), and `docker compose config` when a compose client is allowlisted. No secret value is ever returned.",
  capability: 'sandbox.read',
  risk: ['read'],
  requires: ['docker'],
  inProcess: composeWork,
  input: () =>
    z.object({
      file: z
        .string()
        .min(1)
        .optional()
        .describe(
          'a compose file, relative to the project (default: sandbox.compose_file, else the one driftcore ships)',
        ),
      env_file: z
        .string()
        .min(1)
        .optional()
        .describe('the env file to interpolate from (default: .env, else .env.example, beside it)'),
    }),
  output: () =>
    z.object({
      file: z.string(),
      env_file: z.string().nullable(),
      ok: z.boolean(),
      problems: z.array(z.object({ path: z.string(), message: z.string(), line: z.number().optional() })),
      client: z.object({
        tool: z.string().nullable(),
        ran: z.boolean(),
        ok: z.boolean().optional(),
        exit_code: z.number().nullable().optional(),
        output_tail: z.string().optional(),
        reason: z.string().optional(),
      }),
    }),
  async run(input, ctx) {
    const file = input.file
      ? await givenPath(ctx, input.file, 'the compose file')
      : composeFile(ctx.paths, ctx.config)
    const envFile = input.env_file ? await givenPath(ctx, input.env_file, 'the env file') : undefined
    return checkCompose(ctx, file, envFile)
  },
})

// A path from the tool's input must really lie in the project (or files.read_roots), never in
// .driftcore/: the check quotes problems and runs a client over the file.
async function givenPath(ctx: ToolContext, spec: string, what: string): Promise<string> {
  const roots = projectRoots(ctx.paths, ctx.config)
  return (
    (await resolveWithin(spec, { base: ctx.paths.root, what, ...roots })) ??
    path.resolve(ctx.paths.root, spec)
  )
}

// What the compose sandbox is made of, for agents: names, images, users, mounts and the names of
// the variables it needs. Never a value: the file is summarised, not quoted, and .env only named.
const composeResource = defineResource({
  uri: 'driftcore://sandbox/compose',
  name: 'sandbox-compose',
  title: 'The compose sandbox',
  description:
    'The services of sandbox/compose.yaml (image, user, networks, mounts, environment variable names) and the variables its env file sets, by name only.',
  mimeType: 'application/json',
  async read(_params, ctx) {
    const file = composeFile(ctx.paths, ctx.config)
    const { compose } = await loadCompose(file)
    const envFile = await envFileFor(file)
    const summary = {
      file,
      services: Object.fromEntries(
        Object.entries(compose.services).map(([name, svc]) => [
          name,
          {
            image: svc.image,
            user: svc.user ?? null,
            networks:
              svc.networks === undefined
                ? ['default']
                : Array.isArray(svc.networks)
                  ? svc.networks
                  : Object.keys(svc.networks),
            mounts: (svc.volumes ?? []).map(mountOf),
            environment: Object.keys(environmentOf(svc)).sort(),
          },
        ]),
      ),
      networks: Object.fromEntries(
        Object.entries(compose.networks ?? {}).map(([name, n]) => [name, { internal: n?.internal === true }]),
      ),
      env: {
        file: envFile ? path.basename(envFile) : null,
        variables: envFile ? Object.keys(await readEnvFile(envFile)).sort() : [],
      },
    }
    return { text: JSON.stringify(summary, null, 2), mimeType: 'application/json' }
  },
})

export const composeTools: ToolDefinition[] = [composeCheck]
export const composeResources: ResourceDefinition[] = [composeResource]
