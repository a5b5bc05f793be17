import { readFile } from 'node:fs/promises'
import { Flags } from '@oclif/core'
import type { Actor } from '../audit/record.js'
import { DriftcoreError } from '../errors/driftcore-error.js'
import type { Kernel } from '../kernel/open.js'
import type { PolicyQuestion } from '../control/operations.js'
import type { PolicyRequest } from '../policy/engine.js'
import { readJsonInput } from './input.js'

export const requestFlags = {
  tool: Flags.string({ char: 't', description: 'tool id', required: true }),
  input: Flags.string({ char: 'i', description: 'input as JSON, @file.json or -' }),
  actor: Flags.string({ description: 'decide for this actor (type:id) instead of you' }),
  env: Flags.string({ description: 'environment (default: project.environment)' }),
  risk: Flags.string({ description: 'risk tags of a tool that is not installed, comma-separated' }),
  capability: Flags.string({ description: 'capability of a tool that is not installed' }),
}

/** Builds the request a policy command decides: a registered tool, or a hypothetical one. */
export async function buildRequest(
  kernel: Kernel,
  flags: {
    tool: string
    input?: string | undefined
    actor?: string | undefined
    env?: string | undefined
    risk?: string | undefined
    capability?: string | undefined
  },
  self: Actor,
): Promise<PolicyRequest> {
  let tool: PolicyRequest['tool']
  if (flags.risk !== undefined || flags.capability !== undefined) {
    tool = {
      id: flags.tool,
      capability: flags.capability ?? 'unknown',
      risk_tags: (flags.risk ?? '').split(',').filter(Boolean),
      requires: [],
    }
  } else {
    const t = kernel.registry.tool(flags.tool)
    tool = { id: t.id, capability: t.capability, risk_tags: t.risk, requires: t.requires ?? [] }
  }
  let actor = self
  if (flags.actor) {
    const [type, ...id] = flags.actor.split(':')
    if (!type || id.length === 0)
      throw new DriftcoreError('invalid_input', `--actor "${flags.actor}" is not type:id`)
    actor = { type, id: id.join(':') }
  }
  return {
    tool,
    input: await readJsonInput(flags.input),
    actor,
    environment: flags.env ?? kernel.config.values.project.environment,
  }
}

/**
 * The question a policy command asks, with everything read on this machine (the input, a
 * draft bundle), so the same question can be decided here or by a server.
 */
export async function questionToSend(
  flags: {
    tool: string
    input?: string | undefined
    actor?: string | undefined
    env?: string | undefined
    risk?: string | undefined
    capability?: string | undefined
    bundle?: string | undefined
  },
  options: { readBundle: boolean },
): Promise<PolicyQuestion> {
  const { input, bundle, ...rest } = flags
  const question: PolicyQuestion = { tool: rest.tool, input: await readJsonInput(input) }
  for (const key of ['actor', 'env', 'risk', 'capability'] as const)
    if (rest[key] !== undefined) question[key] = rest[key]
  if (bundle !== undefined && options.readBundle) {
    let text: string
    try {
      text = await readFile(bundle, 'utf8')
    } catch (error) {
      throw new DriftcoreError('not_found', `cannot read the draft bundle ${bundle}`, { cause: error })
    }
    question.bundle = { name: bundle, text }
  }
  return question
}

/** The constraints of a decision in one line, for the human view (`--json` has the object). */
export function describeConstraints(constraints: Record<string, unknown>): string {
  const entries = Object.entries(constraints)
  if (entries.length === 0) return 'constraints: none'
  return `constraints: ${entries.map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`).join(' ')}`
}
