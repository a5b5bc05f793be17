import type { SourceKind } from '../configset/config-set.js'
import type { ObjectDrift, ObjectStatus } from './compare.js'
import { dependencyOrder, type DependencyReader } from './dependencies.js'
import { nameMatcher } from './noise.js'

export interface PlanItem {
  name: string
  status: ObjectStatus
  effect: string
  /** Its uuid differs: an import deletes the site's object and creates the baseline's. */
  recreated?: true
  /** Re-exported because an accepted object needs it (or needs it gone). */
  needed_by?: string
  /** drift.accept_site named it, but accepting it would break what depends on it: imported instead. */
  refused?: string
}

/** One operation of the import, in the order Drupal applies them. */
export interface PlanOperation {
  op: 'delete' | 'create' | 'update'
  name: string
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
  /** What the import does to the site, in the order Drupal applies it: deletes, creates, updates. */
  order: PlanOperation[]
  notes: string[]
}

/** The two sides' dependencies, for closing the plan over them. */
export interface PlanGraph {
  baseline: DependencyReader
  current: DependencyReader
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
 *
 * The plan is closed over dependencies (`dependencies.config`, `.module`, `.enforced`):
 * accepting an object accepts the drifted objects it needs, and accepting a deletion accepts
 * the deletion of what needs it, so the import never removes what an accepted object needs;
 * when that cannot be (a dependency neither side has, a module the baseline does not enable,
 * a dependent that stays), the object is imported instead and the plan says why.
 */
export function remediationPlan(
  drift: readonly ObjectDrift[],
  baseline: { spec: string; kind: SourceKind; manifestOnly: boolean },
  current: { spec: string },
  acceptSite: readonly string[],
  graph?: PlanGraph,
): RemediationPlan {
  const accept = nameMatcher(acceptSite)
  const byName = new Map(drift.map((d) => [d.name, d]))
  const { accepted, neededBy, refused } = closeOverDependencies(
    drift.filter((d) => accept(d.name)).map((d) => d.name),
    byName,
    graph,
  )
  const plan: RemediationPlan = { import: [], reexport: [], steps: [], order: [], notes: [] }
  for (const d of drift) {
    const recreated = d.recreated ? { recreated: true as const } : {}
    if (accepted.has(d.name))
      plan.reexport.push({
        name: d.name,
        status: d.status,
        effect: d.recreated
          ? "write the site's object, with its uuid, into the baseline"
          : REEXPORT_EFFECT[d.status],
        ...recreated,
        ...(neededBy.has(d.name) ? { needed_by: neededBy.get(d.name)! } : {}),
      })
    else
      plan.import.push({
        name: d.name,
        status: d.status,
        effect: d.recreated ? RECREATE_EFFECT : IMPORT_EFFECT[d.status],
        ...recreated,
        ...(refused.has(d.name) ? { refused: refused.get(d.name)! } : {}),
      })
  }
  for (const [name, why] of refused) plan.notes.push(`not accepting ${name}: ${why}; it is imported instead`)
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
      plan.order = importOrder(plan.import, graph)
    }
    if (plan.import.some((i) => i.name === 'core.extension')) {
      plan.notes.push('importing core.extension installs or uninstalls modules on the site')
    }
  }
  return plan
}

/**
 * Deletes first, dependents before what they need; then creates and updates, each after what
 * it needs, as ConfigImporter applies them. An object with a new uuid is deleted and created.
 */
function importOrder(items: readonly PlanItem[], graph: PlanGraph | undefined): PlanOperation[] {
  const siteNeeds = (n: string) => graph?.current.needs(n).config ?? []
  const baseNeeds = (n: string) => graph?.baseline.needs(n).config ?? []
  const deletes = items.filter((i) => i.status === 'added' || i.recreated).map((i) => i.name)
  const creates = items.filter((i) => i.status === 'removed' || i.recreated).map((i) => i.name)
  const updates = items.filter((i) => i.status === 'changed' && !i.recreated).map((i) => i.name)
  return [
    ...dependencyOrder(deletes, siteNeeds)
      .reverse()
      .map((name) => ({ op: 'delete' as const, name })),
    ...dependencyOrder(creates, baseNeeds).map((name) => ({ op: 'create' as const, name })),
    ...dependencyOrder(updates, baseNeeds).map((name) => ({ op: 'update' as const, name })),
  ]
}

/**
 * The accepted set closed over dependencies, refusing (and leaving to the import) an object
 * whose acceptance would leave the baseline broken; repeated until nothing more is refused.
 */
function closeOverDependencies(
  seeds: readonly string[],
  drift: ReadonlyMap<string, ObjectDrift>,
  graph: PlanGraph | undefined,
): { accepted: Set<string>; neededBy: Map<string, string>; refused: Map<string, string> } {
  const refused = new Map<string, string>()
  if (!graph) return { accepted: new Set(seeds), neededBy: new Map(), refused }
  for (;;) {
    const accepted = new Set<string>()
    const neededBy = new Map<string, string>()
    const blocked = new Map<string, string>()
    const queue = seeds.filter((s) => !refused.has(s)).map((name) => ({ name, root: name }))
    while (queue.length > 0) {
      const { name, root } = queue.shift()!
      if (accepted.has(name)) continue
      accepted.add(name)
      if (name !== root) neededBy.set(name, root)
      const d = drift.get(name)
      if (d?.status === 'removed') {
        // Accepting a deletion: nothing the baseline keeps may still need it.
        for (const dependent of graph.baseline.dependents(name)) {
          if (drift.get(dependent)?.status === 'removed') queue.push({ name: dependent, root })
          else if (!accepted.has(dependent))
            blocked.set(root, `${dependent} still needs ${name}, and the site keeps it`)
        }
        continue
      }
      const needs = graph.current.needs(name)
      for (const dep of needs.config) {
        // Kept in the baseline unless its deletion is accepted too.
        const kept = graph.baseline.has(dep) && !(drift.get(dep)?.status === 'removed' && accepted.has(dep))
        if (kept) continue
        if (graph.current.has(dep)) queue.push({ name: dep, root })
        else blocked.set(root, `it needs ${dep}, which neither the baseline nor the site has`)
      }
      if (needs.module.length > 0 && !drift.has('core.extension')) continue
      const modules = accepted.has('core.extension') ? graph.current.modules() : graph.baseline.modules()
      const missing = modules ? needs.module.filter((m) => m !== 'core' && !modules.has(m)) : []
      if (missing.length > 0)
        blocked.set(
          root,
          `it needs the module ${missing.join(', ')}, which the baseline's core.extension does not enable (accept core.extension too)`,
        )
    }
    if (blocked.size === 0) return { accepted, neededBy, refused }
    for (const [name, why] of blocked) refused.set(name, why)
  }
}
