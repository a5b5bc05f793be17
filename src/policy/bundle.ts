import { z } from 'zod'
import { compileCel } from '../cel/compile.js'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { parseYaml, positionOf, validateYaml } from '../store/yaml.js'
import { constraintsSchema } from './constraints.js'

export const DECISIONS = ['ALLOW', 'ALLOW_WITH_CONSTRAINTS', 'REQUIRE_APPROVAL', 'DENY'] as const
export type DecisionKind = (typeof DECISIONS)[number]

const globs = z.array(z.string().min(1)).min(1)

const riskTagsSchema = z.union([
  globs,
  z
    .strictObject({
      any: z.array(z.string()).optional(),
      all: z.array(z.string()).optional(),
      none: z.array(z.string()).optional(),
      only: z.array(z.string()).optional(),
    })
    .refine((v) => Object.keys(v).length > 0, 'give at least one of any, all, none, only'),
])

export const ruleSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i, 'rule ids are letters, digits, ".", "_" and "-"'),
  description: z.string().optional(),
  decision: z.enum(DECISIONS),
  match: z
    .strictObject({
      tools: globs.optional(),
      capabilities: globs.optional(),
      risk_tags: riskTagsSchema.optional(),
      actors: z.strictObject({ types: globs.optional(), ids: globs.optional() }).optional(),
      environments: globs.optional(),
    })
    .default({}),
  when: z.string().min(1).optional(),
  constraints: constraintsSchema.optional(),
  reason: z.string().optional(),
  /** Who may approve (REQUIRE_APPROVAL): actor ids or `type:id`, globs allowed. */
  approvers: globs.optional(),
  /**
   * How the approval may be given (REQUIRE_APPROVAL). `client_attested: true` lets the MCP
   * client's own answer to an elicitation count, for read-only tools this rule matches and for
   * any tool it names exactly in `match.tools`; see `clientAttestable` in engine.ts.
   */
  approval: z.strictObject({ client_attested: z.boolean().default(false) }).optional(),
  /**
   * REQUIRE_APPROVAL: `allowed` lets the requester approve their own request, with a signed
   * approval only (a person at their key); the default is that someone else approves.
   */
  self_approval: z.enum(['allowed', 'denied']).optional(),
})

export type PolicyRule = z.output<typeof ruleSchema>

export const bundleSchema = z.strictObject({
  apiVersion: z.literal('driftcore/v1'),
  kind: z.literal('PolicyBundle'),
  name: z.string().min(1),
  description: z.string().optional(),
  rules: z.array(ruleSchema),
})

export type PolicyBundle = z.output<typeof bundleSchema>

export const CEL_POLICY_VARIABLES = ['request'] as const

/**
 * Parses and checks a bundle: schema, unique rule ids, and every `when:` compiled, each error
 * placed at file:line:col. A bundle that fails here never becomes part of a snapshot.
 */
export function parseBundle(text: string, file: string, maxBytes?: number): PolicyBundle {
  const parsed = parseYaml(text, file, maxBytes)
  const bundle = validateYaml(parsed, bundleSchema, file)
  const seen = new Map<string, number>()
  bundle.rules.forEach((rule, index) => {
    const where = (key: string) => {
      const { line, col } = positionOf(parsed, ['rules', index, key], 'key')
      return `${file}:${line}:${col}`
    }
    const first = seen.get(rule.id)
    if (first !== undefined) {
      throw new DriftcoreError(
        'invalid_input',
        `${where('id')}: duplicate rule id "${rule.id}" (first used by rule #${first + 1})`,
        {
          hint: 'every rule id must be unique within its bundle',
        },
      )
    }
    seen.set(rule.id, index)
    if (rule.approval?.client_attested) {
      // A client's word can stand in for a person only on a rule that asks for one, and never
      // where the rule says which people must decide.
      if (rule.decision !== 'REQUIRE_APPROVAL' || rule.approvers) {
        throw new DriftcoreError(
          'invalid_input',
          `${where('approval')}: rule "${rule.id}": approval.client_attested needs decision REQUIRE_APPROVAL and no approvers`,
          { hint: 'remove approval.client_attested, or make the rule REQUIRE_APPROVAL without approvers' },
        )
      }
    }
    if (rule.self_approval === 'allowed' && rule.decision !== 'REQUIRE_APPROVAL') {
      throw new DriftcoreError(
        'invalid_input',
        `${where('self_approval')}: rule "${rule.id}": self_approval needs decision REQUIRE_APPROVAL`,
        { hint: 'remove self_approval, or make the rule REQUIRE_APPROVAL' },
      )
    }
    if (rule.when !== undefined) compileCel(rule.when, CEL_POLICY_VARIABLES, where('when'))
  })
  return bundle
}
