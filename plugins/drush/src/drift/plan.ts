import type { SourceKind } from '../configset/config-set.js'
import type { ObjectDrift, ObjectStatus } from './compare.js'
import { nameMatcher } from './noise.js'

export interface PlanItem {
  name: string
  status: ObjectStatus
  effect: string
  /** Its uuid differs: an import deletes the site's object and creates the baseline's. */
  recreated?: true
}

export interface PlanStep {
  tool: string
  input: Record<string, unknown>
  why: string
}

export interface RemediationPlan {
  /** Objects to import: the site goes back to the baseline. */
  import: PlanItem[]
  /** Objects to re-export: the baseline takes the site's value. */
  reexport: PlanItem[]
  /** Tool calls that carry the plan out, in order. */
  steps: PlanStep[]
  notes: string[]
}

const IMPORT_EFFECT: Record<ObjectStatus, string> = {
  changed: 'restore the baseline value on the site',
  added: 'delete it from the site (only a full import deletes)',
  removed: 'recreate it on the site',
}
const RECREATE_EFFECT =
  "delete the site's object and create the baseline's (their uuids differ): what hangs off it on the site, such as a bundle's content or a field's data, is lost"
const REEXPORT_EFFECT: Record<ObjectStatus, string> = {
  changed: "write the site's value into the baseline",
  added: 'add it to the baseline',
  removed: 'delete it from the baseline',
}

/**
 * Which drifted objects to import (the baseline is right) and which to re-export (the site is
 * right, as drift.accept_site says for matching objects), and the tool calls that do it:
 * accept first, so that a full import afterwards restores only what should be restored.
 */
export function remediationPlan(
  drift: readonly ObjectDrift[],
  baseline: { spec: string; kind: SourceKind; manifestOnly: boolean },
  current: { spec: string },
  acceptSite: readonly string[],
): RemediationPlan {
  const accept = nameMatcher(acceptSite)
  const plan: RemediationPlan = { import: [], reexport: [], steps: [], notes: [] }
  for (const d of drift) {
    const recreated = d.recreated ? { recreated: true as const } : {}
    if (accept(d.name))
      plan.reexport.push({
        name: d.name,
        status: d.status,
        effect: d.recreated
          ? "write the site's object, with its uuid, into the baseline"
          : REEXPORT_EFFECT[d.status],
        ...recreated,
      })
    else
      plan.import.push({
        name: d.name,
        status: d.status,
        effect: d.recreated ? RECREATE_EFFECT : IMPORT_EFFECT[d.status],
        ...recreated,
      })
  }
  if (plan.reexport.length > 0) {
    if (baseline.kind === 'directory' || baseline.kind === 'baseline') {
      plan.steps.push({
        tool: 'drift.accept',
        input: { baseline: baseline.spec, current: current.spec, objects: plan.reexport.map((i) => i.name) },
        why: `accept the site's version of ${plan.reexport.length} object(s) into the baseline`,
      })
    } else {
      plan.notes.push(
        `the baseline is a ${baseline.kind}, which cannot be updated: re-export into a folder instead`,
      )
    }
  }
  if (plan.import.length > 0) {
    const deletes = plan.import.some((i) => i.status === 'added')
    if (baseline.manifestOnly) {
      plan.notes.push(
        'the baseline holds only hashes, not content: it cannot be imported; snapshot it again from a folder',
      )
    } else {
      plan.steps.push({
        tool: 'drush.configImport',
        input: deletes
          ? { source: baseline.spec }
          : { source: baseline.spec, objects: plan.import.map((i) => i.name) },
        why: deletes
          ? `a full import restores ${plan.import.length} object(s), deleting those only on the site`
          : `a partial import restores ${plan.import.length} object(s)`,
      })
    }
    if (plan.import.some((i) => i.name === 'core.extension')) {
      plan.notes.push('importing core.extension installs or uninstalls modules on the site')
    }
  }
  return plan
}
