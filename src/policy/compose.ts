import { DriftcoreError } from '../errors/driftcore-error.js'
import type { ParsedBundle, PolicyBundle, PolicyRule } from './bundle.js'
import type { RuleSource } from './engine.js'

/** Whether a rule is final: marked so itself, or in a bundle marked final. */
export function isFinal(rule: PolicyRule, bundle: Pick<PolicyBundle, 'final'>): boolean {
  return rule.final === true || bundle.final === true
}

/**
 * Checks that the bundles of one snapshot fit together, each error at the file:line:col of the
 * rule at fault: rule ids and bundle names are unique (decisions name them), and every
 * `overrides` names a rule that exists, is not final, and overrides nothing itself (overrides
 * do not chain, so what a rule sets aside never depends on which other rules matched).
 */
export function checkBundlesCompose(bundles: readonly ParsedBundle[]): void {
  const rules = new Map<string, { rule: PolicyRule; bundle: PolicyBundle; at: string }>()
  const names = new Map<string, string>()
  for (const parsed of bundles) {
    const owner = names.get(parsed.bundle.name)
    if (owner !== undefined) {
      throw new DriftcoreError(
        'invalid_input',
        `${parsed.file}: bundle name "${parsed.bundle.name}" is already used by ${owner}`,
        {
          hint: 'bundle names must be unique: a second bundle of the same name would hide which one a rule came from',
        },
      )
    }
    names.set(parsed.bundle.name, parsed.file)
    parsed.bundle.rules.forEach((rule, index) => {
      const first = rules.get(rule.id)
      if (first) {
        throw new DriftcoreError(
          'invalid_input',
          `${parsed.where(index, 'id')}: duplicate rule id "${rule.id}", already used in ${first.at}`,
          { hint: 'rule ids must be unique across all bundles, since decisions name them' },
        )
      }
      rules.set(rule.id, { rule, bundle: parsed.bundle, at: parsed.where(index, 'id') })
    })
  }
  for (const parsed of bundles) {
    parsed.bundle.rules.forEach((rule, index) => {
      for (const id of rule.overrides ?? []) {
        const refuse = (problem: string, hint: string): never => {
          throw new DriftcoreError(
            'invalid_input',
            `${parsed.where(index, 'overrides')}: rule "${rule.id}" overrides ${problem}`,
            { hint, details: { rule: rule.id, overrides: id } },
          )
        }
        const target = rules.get(id)
        if (!target)
          refuse(
            `"${id}", which no bundle in .driftcore/policy/ defines`,
            `check the id with \`driftcore policy explain\`; the shipped rules are in policy/default.yaml (the built-in default applies only while the folder has no bundle)`,
          )
        else if (isFinal(target.rule, target.bundle))
          refuse(
            `"${id}", which is final (${target.at}${target.rule.final === true ? '' : `, bundle "${target.bundle.name}" is final`}): a final rule can be relaxed by nothing`,
            'remove it from overrides; only the owner of the final rule can change it',
          )
        else if (target.rule.overrides)
          refuse(
            `"${id}", which overrides other rules itself (${target.at}): overrides do not chain`,
            `override the rules "${id}" overrides directly: ${target.rule.overrides.join(', ')}`,
          )
      }
    })
  }
}

/** The rules of a snapshot's bundles, in order, each knowing whether it is final. */
export function ruleSources(
  bundles: readonly { name: string; final?: boolean | undefined; rules: readonly PolicyRule[] }[],
): RuleSource[] {
  return bundles.flatMap((b) => b.rules.map((rule) => ({ bundle: b.name, rule, final: isFinal(rule, b) })))
}
