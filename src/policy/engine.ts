import type { Actor } from '../audit/record.js'
import { sharedBudget } from '../cel/budget.js'
import { compileCel, firstLine, type CelProgram } from '../cel/compile.js'
import { CEL_POLICY_VARIABLES, type DecisionKind, type PolicyRule } from './bundle.js'
import { mergeConstraints, type Constraints } from './constraints.js'
import { anyOf, riskCheck, type Matcher } from './match.js'
import { Lru } from './lru.js'
import { shadowedAllows, type ShadowWarning, type ToolInfo } from './shadow.js'
import { ToolIndex } from './tool-index.js'

/** What policy decides about: who wants to run which tool, with what input, where. */
export interface PolicyRequest {
  tool: { id: string; capability: string; risk_tags: readonly string[]; requires?: readonly string[] }
  input: unknown
  actor: Actor
  environment: string
}

export interface PolicyDecision {
  decision: DecisionKind
  /** Every rule that matched, in bundle order. */
  rule_ids: string[]
  /** The rule whose decision won, or null when nothing matched (default deny). */
  deciding_rule: string | null
  reason: string
  constraints: Constraints
  /** REQUIRE_APPROVAL: one list per matching rule; an approver must match a pattern in each. */
  approvers?: string[][]
  /**
   * REQUIRE_APPROVAL only: true when every matching REQUIRE_APPROVAL rule accepts the MCP
   * client's own answer (`approval: {client_attested: true}`) for this tool.
   */
  client_attestation?: true
  /**
   * REQUIRE_APPROVAL only: true when every matching REQUIRE_APPROVAL rule says
   * `self_approval: allowed`, so the requester may approve it themselves, signed.
   */
  self_approval?: true
  /**
   * REQUIRE_APPROVAL only, when more than one: how many different people must approve (the
   * highest `approval.count` of the matching REQUIRE_APPROVAL rules).
   */
  approvals_required?: number
  snapshot: { version: number; hash: string }
}

/**
 * What a rule did for one request: `decided` (its decision is the result), `counted` (it
 * matched and counts, but another rule's decision won: see `why`), `overridden` (a matching
 * rule set it aside), `not_matched`.
 */
export type RuleOutcome = 'decided' | 'counted' | 'overridden' | 'not_matched'

export interface RuleExplanation {
  id: string
  bundle: string
  decision: DecisionKind
  matched: boolean
  /** Why it matched, or the first criterion that did not. */
  because: string[]
  outcome: RuleOutcome
  /** Why it did or did not decide, in words. */
  why: string
  final?: true
  overrides?: string[]
  /** outcome `overridden`: the rule that set it aside. */
  overridden_by?: string
  constraints?: Constraints
}

export interface RuleSource {
  bundle: string
  rule: PolicyRule
  /** The rule is final: marked so, or its bundle is. Nothing can override it. */
  final?: boolean
}

const RANK: Record<DecisionKind, number> = {
  ALLOW: 0,
  ALLOW_WITH_CONSTRAINTS: 1,
  REQUIRE_APPROVAL: 2,
  DENY: 3,
}

interface CompiledRule {
  id: string
  bundle: string
  rule: PolicyRule
  final: boolean
  tool?: Matcher
  checks: { name: string; test: (request: PolicyRequest) => boolean }[]
  when?: CelProgram
}

function toolReason(rule: CompiledRule, toolId: string, ok: boolean): string {
  if (!rule.tool) return 'any tool'
  return ok
    ? `tool ${toolId} matches`
    : `tool ${toolId} does not match [${rule.rule.match.tools?.join(', ')}]`
}

function compileRule({ bundle, rule, final }: RuleSource): CompiledRule {
  const m = rule.match
  const checks: CompiledRule['checks'] = []
  if (m.capabilities) {
    const cap = anyOf(m.capabilities)
    checks.push({ name: `capability in [${m.capabilities.join(', ')}]`, test: (r) => cap(r.tool.capability) })
  }
  if (m.risk_tags) {
    const risk = riskCheck(m.risk_tags)
    checks.push({ name: `risk tags ${JSON.stringify(m.risk_tags)}`, test: (r) => risk(r.tool.risk_tags) })
  }
  if (m.actors?.types) {
    const type = anyOf(m.actors.types)
    checks.push({ name: `actor type in [${m.actors.types.join(', ')}]`, test: (r) => type(r.actor.type) })
  }
  if (m.actors?.ids) {
    const id = anyOf(m.actors.ids)
    checks.push({ name: `actor id in [${m.actors.ids.join(', ')}]`, test: (r) => id(r.actor.id) })
  }
  if (m.environments) {
    const env = anyOf(m.environments)
    checks.push({ name: `environment in [${m.environments.join(', ')}]`, test: (r) => env(r.environment) })
  }
  return {
    id: rule.id,
    bundle,
    rule,
    final: final === true || rule.final === true,
    ...(m.tools ? { tool: anyOf(m.tools) } : {}),
    checks,
    ...(rule.when
      ? { when: compileCel(rule.when, CEL_POLICY_VARIABLES, `${bundle}: rule ${rule.id}: when`) }
      : {}),
  }
}

/** Tool ids whose candidate rules are remembered; older ones are forgotten first. */
export const CANDIDATE_CACHE_SIZE = 10_000
// Longer ids (resource URIs an agent chooses) are not remembered: the cache stays small in bytes.
const CACHED_ID_MAX = 256

// What a decision without conditions depends on; undefined (not remembered) for ids too long to
// keep, like the candidate cache.
function decisionKey(request: PolicyRequest): string | undefined {
  const { tool, actor, environment } = request
  if (tool.id.length > CACHED_ID_MAX || actor.id.length > CACHED_ID_MAX) return undefined
  return JSON.stringify([tool.id, tool.capability, tool.risk_tags, actor.type, actor.id, environment])
}

function frozenDecision(decision: PolicyDecision): PolicyDecision {
  Object.freeze(decision.rule_ids)
  if (decision.constraints.deny_paths) Object.freeze(decision.constraints.deny_paths)
  Object.freeze(decision.constraints)
  return Object.freeze(decision)
}

/**
 * A snapshot's rules, compiled once: globs to matchers, conditions to CEL programs. The rules
 * that can match a tool id are found through an index of their globs' literal prefixes (so a
 * first decision for a tool runs only the globs that share its prefix) and remembered per tool
 * id in a bounded LRU, so a decision looks only at rules that can match its tool.
 */
export class CompiledPolicy {
  private readonly rules: CompiledRule[]
  private readonly index: ToolIndex | undefined
  private readonly byTool = new Lru<string, CompiledRule[]>(CANDIDATE_CACHE_SIZE)
  private readonly decided = new Lru<string, PolicyDecision>(CANDIDATE_CACHE_SIZE)

  /** `options.index: false` tries every rule's globs on a cache miss (the reference in tests). */
  constructor(
    private readonly sources: readonly RuleSource[],
    readonly snapshot: { version: number; hash: string },
    options: { index?: boolean } = {},
  ) {
    this.rules = sources.map(compileRule)
    this.index = options.index === false ? undefined : new ToolIndex(sources.map((s) => s.rule.match.tools))
  }

  /** ALLOW rules that can never decide for any of these tools (see shadow.ts). */
  shadowed(tools: readonly ToolInfo[]): ShadowWarning[] {
    return shadowedAllows(this.sources, tools)
  }

  evaluate(request: PolicyRequest): PolicyDecision {
    const known = this.byTool.get(request.tool.id)
    const pool = known ?? this.findCandidates(request.tool.id)
    if (pool.some((rule) => rule.when)) return sharedBudget(() => this.decideWithin(request, undefined, pool))
    // No rule that can match has a condition: the decision depends on nothing but the tool (id,
    // capability, risk tags), the actor and the environment, never on the input, so it is made
    // once for them and handed out frozen (a caller that changed it would change the next one).
    // A new policy is a new CompiledPolicy, with nothing remembered.
    const key = decisionKey(request)
    if (key === undefined) return this.decideWithin(request, undefined, pool)
    // A tool id new to the candidate cache is new to this one too (both hold the most recent
    // ids), so a miss does not look here: a first decision costs no cache lookup it cannot win.
    const remembered = known && this.decided.get(key)
    if (remembered) return remembered
    const decision = frozenDecision(this.decideWithin(request, undefined, pool))
    if (known) this.decided.set(key, decision)
    else this.decided.setMissing(key, decision)
    return decision
  }

  explain(request: PolicyRequest): { decision: PolicyDecision; rules: RuleExplanation[] } {
    const rules: RuleExplanation[] = []
    return { decision: this.decide(request, rules), rules }
  }

  // The rules whose tool globs match `toolId`, in bundle order.
  private candidates(toolId: string): CompiledRule[] {
    return this.byTool.get(toolId) ?? this.findCandidates(toolId)
  }

  // For an id the cache does not hold: the rules the index names whose globs match, remembered.
  private findCandidates(toolId: string): CompiledRule[] {
    const found: CompiledRule[] = []
    if (this.index) {
      for (const i of this.index.candidates(toolId)) {
        const rule = this.rules[i]!
        if (!rule.tool || rule.tool(toolId)) found.push(rule)
      }
    } else for (const rule of this.rules) if (!rule.tool || rule.tool(toolId)) found.push(rule)
    if (toolId.length <= CACHED_ID_MAX) this.byTool.setMissing(toolId, found)
    return found
  }

  // One CEL budget for the whole decision: a bundle of many conditions cannot multiply it. A
  // decision none of whose rules has a condition evaluates no CEL, so it needs no budget.
  private decide(request: PolicyRequest, explain: RuleExplanation[] | undefined): PolicyDecision {
    const pool = explain ? this.rules : this.candidates(request.tool.id)
    if (!pool.some((rule) => rule.when)) return this.decideWithin(request, explain, pool)
    return sharedBudget(() => this.decideWithin(request, explain, pool))
  }

  private decideWithin(
    request: PolicyRequest,
    explain: RuleExplanation[] | undefined,
    pool: readonly CompiledRule[],
  ): PolicyDecision {
    const matched: CompiledRule[] = []
    let failure: { rule: CompiledRule; message: string } | undefined
    for (const rule of pool) {
      // Reasons are kept only for explain: a decision does not build a list per rule.
      const because: string[] | undefined = explain ? [] : undefined
      // Candidates already match the tool; only explain, which walks every rule, checks it here.
      let ok = !explain || !rule.tool || rule.tool(request.tool.id)
      because?.push(toolReason(rule, request.tool.id, ok))
      for (const check of rule.checks) {
        if (!ok) break
        ok = check.test(request)
        because?.push(ok ? `${check.name}: yes` : `${check.name}: no`)
      }
      if (ok && rule.when) {
        try {
          ok = rule.when({ request }) === true
          because?.push(`when ${rule.rule.when}: ${ok}`)
        } catch (error) {
          // A condition that cannot be evaluated must not let a call through: fail closed.
          failure ??= { rule, message: firstLine(error) }
          because?.push(`when ${rule.rule.when}: error: ${firstLine(error)}`)
          ok = true
        }
      }
      if (ok) matched.push(rule)
      if (explain && because)
        explain.push({
          id: rule.id,
          bundle: rule.bundle,
          decision: rule.rule.decision,
          matched: ok,
          because,
          outcome: 'not_matched',
          why: ok ? '' : `did not match: ${because.at(-1) ?? 'no criterion'}`,
          ...(rule.final ? { final: true as const } : {}),
          ...(rule.rule.overrides ? { overrides: rule.rule.overrides } : {}),
          ...(rule.rule.constraints ? { constraints: rule.rule.constraints } : {}),
        })
    }
    const setAside = overriddenBy(matched)
    const decision = this.combine(matched, setAside, failure, request)
    if (explain) annotate(explain, matched, setAside, decision, failure)
    return decision
  }

  private combine(
    all: CompiledRule[],
    setAside: ReadonlyMap<string, CompiledRule>,
    failure: { rule: CompiledRule; message: string } | undefined,
    request: PolicyRequest,
  ): PolicyDecision {
    const base = { rule_ids: all.map((r) => r.id), snapshot: this.snapshot }
    // Rules a matching rule overrides do not count; everything else is combined as before.
    const matched = all.filter((r) => !setAside.has(r.id))
    if (failure) {
      return {
        ...base,
        decision: 'DENY',
        deciding_rule: failure.rule.id,
        reason: `rule ${failure.rule.id}: its condition could not be evaluated (${failure.message}); denied`,
        constraints: {},
      }
    }
    if (matched.length === 0) {
      return {
        ...base,
        decision: 'DENY',
        deciding_rule: null,
        reason: 'no rule matched: denied by default',
        constraints: {},
      }
    }
    let winner = matched[0]!
    let constraints: Constraints = {}
    for (const rule of matched) {
      if (RANK[rule.rule.decision] > RANK[winner.rule.decision]) winner = rule
      if (rule.rule.constraints) constraints = mergeConstraints(constraints, rule.rule.constraints)
    }
    let decision = winner.rule.decision
    if (decision === 'ALLOW' && Object.keys(constraints).length > 0) decision = 'ALLOW_WITH_CONSTRAINTS'
    const asking = matched.filter((r) => r.rule.decision === 'REQUIRE_APPROVAL')
    const approvers = asking.filter((r) => r.rule.approvers).map((r) => r.rule.approvers!)
    const attested = decision === 'REQUIRE_APPROVAL' && asking.every((r) => clientAttestable(r.rule, request))
    const required = Math.max(1, ...asking.map((r) => r.rule.approval?.count ?? 1))
    const selfApproval =
      decision === 'REQUIRE_APPROVAL' &&
      required === 1 &&
      asking.every((r) => r.rule.self_approval === 'allowed')
    return {
      ...base,
      decision,
      deciding_rule: winner.id,
      reason: winner.rule.reason ?? winner.rule.description ?? `rule ${winner.id}: ${winner.rule.decision}`,
      constraints,
      ...(decision === 'REQUIRE_APPROVAL' && approvers.length > 0 ? { approvers } : {}),
      ...(attested ? { client_attestation: true as const } : {}),
      ...(selfApproval ? { self_approval: true as const } : {}),
      ...(decision === 'REQUIRE_APPROVAL' && required > 1 ? { approvals_required: required } : {}),
    }
  }
}

/**
 * The matched rules that a matched rule's `overrides` sets aside, each with the rule that did.
 * A final rule is never set aside (publishing refuses such an override; this holds even if one
 * reached the engine). Overrides do not chain: every matching rule's list applies.
 */
function overriddenBy(matched: readonly CompiledRule[]): Map<string, CompiledRule> {
  const byId = new Map(matched.map((r) => [r.id, r]))
  const out = new Map<string, CompiledRule>()
  for (const rule of matched) {
    for (const id of rule.rule.overrides ?? []) {
      const target = byId.get(id)
      if (target && !target.final && !out.has(id)) out.set(id, rule)
    }
  }
  return out
}

const label = (r: CompiledRule) => `${r.bundle}/${r.id}`

// Says, for each matched rule, why it did or did not decide.
function annotate(
  explain: RuleExplanation[],
  matched: readonly CompiledRule[],
  setAside: ReadonlyMap<string, CompiledRule>,
  decision: PolicyDecision,
  failure: { rule: CompiledRule; message: string } | undefined,
): void {
  const byId = new Map(matched.map((r) => [r.id, r]))
  const winner = decision.deciding_rule === null ? undefined : byId.get(decision.deciding_rule)
  for (const entry of explain) {
    const rule = byId.get(entry.id)
    if (!entry.matched || !rule) continue
    const by = setAside.get(entry.id)
    const finalNote = rule.final ? ' (final: nothing can override it)' : ''
    if (failure) {
      // Fail closed: a condition that errs denies, whatever overrides or other rules say.
      entry.outcome = rule === failure.rule ? 'decided' : 'counted'
      entry.why =
        rule === failure.rule
          ? `its condition could not be evaluated (${failure.message}): the call is denied`
          : `rule ${label(failure.rule)}'s condition could not be evaluated, so the call is denied whatever this rule says`
    } else if (by) {
      entry.outcome = 'overridden'
      entry.overridden_by = by.id
      entry.why = `overridden by rule ${label(by)}, which matched and lists it in overrides; its decision and constraints do not count`
    } else if (rule === winner) {
      entry.outcome = 'decided'
      entry.why = `decided: the most restrictive of the rules that count${finalNote}`
    } else if (winner) {
      entry.outcome = 'counted'
      const ignored = (rule.rule.overrides ?? []).filter((id) => byId.get(id)?.final)
      const parts: string[] = []
      if (RANK[rule.rule.decision] < RANK[winner.rule.decision]) {
        parts.push(`less restrictive than ${label(winner)} (${winner.rule.decision})`)
        if (winner.final && rule.rule.overrides?.includes(winner.id))
          parts.push(`${winner.id} is final, so this rule's override of it does not apply`)
        else if (!rule.rule.overrides?.includes(winner.id)) parts.push(`it does not override ${winner.id}`)
      } else {
        parts.push(`same decision as ${label(winner)}, which comes first and decided`)
      }
      for (const id of ignored)
        if (id !== winner.id) parts.push(`${id} is final, so this rule's override of it does not apply`)
      if (rule.rule.constraints) parts.push('its constraints still apply')
      entry.why = parts.join('; ') + finalNote
    }
  }
}

/**
 * Whether a rule lets the MCP client's own elicitation answer approve this tool. The answer is
 * the client's word, and the client is the agent's: so only where the rule says so, and for a
 * tool that can change anything (any tag but `read`, or no tag at all) only when the rule names
 * that tool id exactly in `match.tools`; a glob, a capability or a risk tag never reaches it.
 */
export function clientAttestable(rule: PolicyRule, request: PolicyRequest): boolean {
  if (rule.approval?.client_attested !== true) return false
  const tags = request.tool.risk_tags
  const readOnly = tags.length > 0 && tags.every((t) => t === 'read')
  return readOnly || (rule.match.tools?.includes(request.tool.id) ?? false)
}
