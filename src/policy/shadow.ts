import { namesExactly, type DecisionKind, type PolicyRule } from './bundle.js'
import type { RuleSource } from './engine.js'
import { anyOf as matcher, riskCheck } from './match.js'

/** A tool as policy sees it, for finding rules that can never decide. */
export interface ToolInfo {
  id: string
  capability: string
  risk_tags: readonly string[]
}

export interface ShadowWarning {
  rule: string
  bundle: string
  /** The more restrictive rule that always matches with it. */
  by: string
  by_bundle: string
  message: string
}

const RANK: Record<DecisionKind, number> = {
  ALLOW: 0,
  ALLOW_WITH_CONSTRAINTS: 1,
  REQUIRE_APPROVAL: 2,
  DENY: 3,
}

// Whether the tool-side criteria of a rule (tools, capabilities, risk tags) accept a tool.
function acceptsTool(rule: PolicyRule, tool: ToolInfo): boolean {
  const m = rule.match
  return (
    (!m.tools || matcher(m.tools)(tool.id)) &&
    (!m.capabilities || matcher(m.capabilities)(tool.capability)) &&
    (!m.risk_tags || riskCheck(m.risk_tags)(tool.risk_tags))
  )
}

// Whether `wide` accepts every value `narrow` does: absent, or each of narrow's values is exact
// (or literally one of wide's patterns) and wide accepts it. Unsure is "no".
function covers(wide: readonly string[] | undefined, narrow: readonly string[] | undefined): boolean {
  if (!wide) return true
  if (!narrow) return false
  const accepts = matcher(wide)
  return narrow.every((v) => wide.includes(v) || (namesExactly([v]) && accepts(v)))
}

/**
 * ALLOW rules without constraints that can never decide (so do nothing at all): for every
 * installed tool the rule matches, a more
 * restrictive rule without a condition matches as well, on every actor and environment the
 * rule matches, and the rule does not override it (or it is final). The check is conservative:
 * a rule is reported only when that is certain for the installed tools; a `when:` on the ALLOW
 * rule only narrows it, one on the other rule means it is not certain.
 */
export function shadowedAllows(sources: readonly RuleSource[], tools: readonly ToolInfo[]): ShadowWarning[] {
  const warnings: ShadowWarning[] = []
  for (const source of sources) {
    const rule = source.rule
    // A rule with constraints still does something when outranked: its constraints apply.
    if (rule.decision !== 'ALLOW' && rule.decision !== 'ALLOW_WITH_CONSTRAINTS') continue
    if (rule.constraints) continue
    const reach = tools.filter((t) => acceptsTool(rule, t))
    if (reach.length === 0) continue
    const by = sources.find((other) => {
      const o = other.rule
      if (other === source || o.when !== undefined) return false
      if (RANK[o.decision] <= RANK[rule.decision]) return false
      const final = other.final === true || o.final === true
      if (!final && rule.overrides?.includes(o.id)) return false
      return (
        reach.every((t) => acceptsTool(o, t)) &&
        covers(o.match.actors?.types, rule.match.actors?.types) &&
        covers(o.match.actors?.ids, rule.match.actors?.ids) &&
        covers(o.match.environments, rule.match.environments)
      )
    })
    if (!by) continue
    const final = by.final === true || by.rule.final === true
    const fix = final
      ? `${by.rule.id} is final, so nothing can relax it`
      : `add overrides: [${by.rule.id}] to ${rule.id} (naming its tools or actor ids exactly) to relax it`
    warnings.push({
      rule: rule.id,
      bundle: source.bundle,
      by: by.rule.id,
      by_bundle: by.bundle,
      message: `rule ${source.bundle}/${rule.id} (${rule.decision}) can never decide: ${by.bundle}/${by.rule.id} (${by.rule.decision}) matches whenever it does and is more restrictive; ${fix}`,
    })
  }
  return warnings
}
