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

const ruleId = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i, 'rule ids are letters, digits, ".", "_" and "-"')

export const ruleSchema = z.strictObject({
  id: ruleId,
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
  approval: z
    .strictObject({
      client_attested: z.boolean().default(false),
      /**
       * How many different people must approve (REQUIRE_APPROVAL; default 1). The requester
       * never counts, and one person approving twice counts once: see docs/guides/approvals.md.
       */
      count: z.number().int().min(1).max(10).optional(),
    })
    .optional(),
  /**
   * REQUIRE_APPROVAL: `allowed` lets the requester approve their own request, with a signed
   * approval only (a person at their key); the default is that someone else approves.
   */
  self_approval: z.enum(['allowed', 'denied']).optional(),
  /**
   * Rules (by id, in any bundle) this rule sets aside when it matches: their decision and
   * constraints stop counting for that request. Only for a rule that names its tools or actor
   * ids exactly; a final rule can be set aside by nothing. See docs/guides/policy.md.
   */
  overrides: z.array(ruleId).min(1).optional(),
  /** A final rule always counts when it matches: no `overrides` can set it aside. */
  final: z.boolean().optional(),
})

export type PolicyRule = z.output<typeof ruleSchema>

export const bundleSchema = z.strictObject({
  apiVersion: z.literal('driftcore/v1'),
  kind: z.literal('PolicyBundle'),
  name: z.string().min(1),
  description: z.string().optional(),
  /** Every rule of a final bundle is final (a security owner's bundle). */
  final: z.boolean().optional(),
  rules: z.array(ruleSchema),
})

export type PolicyBundle = z.output<typeof bundleSchema>

export const CEL_POLICY_VARIABLES = ['request'] as const

/** A parsed bundle and where its rules' keys are, for errors that need the whole snapshot. */
export interface ParsedBundle {
  bundle: PolicyBundle
  file: string
  /** `file:line:col` of rule #index's key (of the rule itself when the key is absent). */
  where(index: number, key: string): string
}

// Tool ids and actor ids are named exactly when they have no glob syntax at all.
const GLOB = /[*?[\]{}()!+@|\\]/

/** Whether every pattern in the list names one value exactly (no glob, no negation). */
export function namesExactly(patterns: readonly string[] | undefined): boolean {
  return patterns !== undefined && patterns.length > 0 && patterns.every((p) => !GLOB.test(p))
}

/**
 * Parses and checks a bundle: schema, unique rule ids, and every `when:` compiled, each error
 * placed at file:line:col. A bundle that fails here never becomes part of a snapshot.
 */
export function parseBundle(text: string, file: string, maxBytes?: number): PolicyBundle {
  return parseBundleSource(text, file, maxBytes).bundle
}

/** parseBundle, keeping the positions that checks across bundles (compose.ts) report. */
export function parseBundleSource(text: string, file: string, maxBytes?: number): ParsedBundle {
  const parsed = parseYaml(text, file, maxBytes)
  const bundle = validateYaml(parsed, bundleSchema, file)
  const whereIn = (index: number, key: string) => {
    const { line, col } = positionOf(parsed, ['rules', index, key], 'key')
    return `${file}:${line}:${col}`
  }
  const seen = new Map<string, number>()
  bundle.rules.forEach((rule, index) => {
    const where = (key: string) => whereIn(index, key)
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
    const count = rule.approval?.count ?? 1
    if (rule.approval?.count !== undefined && rule.decision !== 'REQUIRE_APPROVAL') {
      throw new DriftcoreError(
        'invalid_input',
        `${where('approval')}: rule "${rule.id}": approval.count needs decision REQUIRE_APPROVAL`,
        { hint: 'remove approval.count, or make the rule REQUIRE_APPROVAL' },
      )
    }
    if (count > 1 && (rule.self_approval === 'allowed' || rule.approval?.client_attested)) {
      // Several people means several people: neither the requester nor a client's answer counts.
      throw new DriftcoreError(
        'invalid_input',
        `${where('approval')}: rule "${rule.id}": approval.count ${count} cannot go with ${rule.self_approval === 'allowed' ? 'self_approval: allowed' : 'approval.client_attested'}: the requester and an MCP client never count as one of the people`,
        { hint: 'keep approval.count and remove the other, or use count 1' },
      )
    }
    if (rule.self_approval === 'allowed' && rule.decision !== 'REQUIRE_APPROVAL') {
      throw new DriftcoreError(
        'invalid_input',
        `${where('self_approval')}: rule "${rule.id}": self_approval needs decision REQUIRE_APPROVAL`,
        { hint: 'remove self_approval, or make the rule REQUIRE_APPROVAL' },
      )
    }
    checkComposition(rule, bundle, where)
    if (rule.when !== undefined) compileCel(rule.when, CEL_POLICY_VARIABLES, where('when'))
  })
  return { bundle, file, where: whereIn }
}

// What `final` and `overrides` may be put on, within one bundle (compose.ts checks across them).
function checkComposition(rule: PolicyRule, bundle: PolicyBundle, where: (key: string) => string): void {
  const refuse = (key: string, problem: string, hint: string): never => {
    throw new DriftcoreError('invalid_input', `${where(key)}: rule "${rule.id}": ${problem}`, { hint })
  }
  if (rule.final === true && rule.decision === 'ALLOW' && !rule.constraints)
    refuse(
      'final',
      'final on an ALLOW rule without constraints keeps nothing (no rule can relax below ALLOW)',
      'remove final, or give the rule constraints that must always apply',
    )
  if (rule.final === false && bundle.final === true)
    refuse(
      'final',
      `final: false in bundle "${bundle.name}", which is final: every rule of a final bundle is final`,
      'remove final: false, or move the rule to a bundle that is not final',
    )
  if (rule.overrides) {
    if (rule.overrides.includes(rule.id))
      refuse('overrides', 'a rule cannot override itself', 'name the rules it relaxes in overrides')
    const m = rule.match
    const named = namesExactly(m.tools) || namesExactly(m.actors?.ids)
    if (!named)
      refuse(
        'overrides',
        'a rule that overrides others must name its tools (match.tools) or its actors (match.actors.ids) exactly, without globs',
        'list the tool ids it relaxes, e.g. match: { tools: [workflow.notify] }, or the actor ids, e.g. actors: { ids: [release-bot] }',
      )
  }
}
