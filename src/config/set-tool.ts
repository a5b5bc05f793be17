import { z } from 'zod'
import { hostOf } from '../kernel/host.js'
import type { ToolDefinition } from '../registry/types.js'
import { userConfigFile } from './effective.js'
import type { ConfigSetInput } from './set.js'

/**
 * `driftcore config set` as a tool, so changing config is decided by policy like any other
 * write: the shipped default lets a person do it and makes everyone else (agents, CI,
 * workflows) ask a person first. Every change is audited as `config.changed`.
 */
export const configSetTool: ToolDefinition = {
  id: 'config.set',
  title: 'Set a config key',
  description:
    'Writes (or with unset: true removes) one key in the project (or user) config file after validating the whole config; comments are kept. Recorded as config.changed with the old and new config hash.',
  capability: 'config.write',
  risk: ['write'],
  idempotent: true,
  // Small work on one file: the layer file it writes (the user's lives outside the project).
  inProcess: {
    paths: (input: ConfigSetInput, env) =>
      input.layer === 'user' ? [userConfigFile(undefined, process.env)] : [env.paths.config],
    bounded: true,
  },
  input: () =>
    z
      .object({
        key: z
          .string()
          .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'a dotted key, e.g. workflow.concurrency')
          .describe('dotted key'),
        value: z.unknown().optional().describe('the new value (any JSON value); required unless unset'),
        layer: z.enum(['project', 'user']).default('project').describe('which layer file to write'),
        unset: z
          .boolean()
          .optional()
          .describe('remove the key from the layer file instead (value is ignored)'),
      })
      .refine((input) => input.unset === true || input.value !== undefined, {
        message: 'a value is required (or unset: true to remove the key)',
        path: ['value'],
      }),
  output: () =>
    z.object({
      key: z.string(),
      value: z.unknown(),
      layer: z.enum(['project', 'user']),
      file: z.string(),
      hash: z.string(),
      old_hash: z.string(),
      overridden_by: z.string().optional(),
    }),
  async run(input: ConfigSetInput, ctx) {
    return hostOf(ctx).setConfig(input, ctx.actor)
  },
}
