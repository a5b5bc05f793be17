import type { ToolContext } from 'driftcore/api'
import { loadConfigSource, type LoadedSource } from '../configset/sources.js'
import { driftSettings, maxYamlBytes } from '../settings/sections.js'
import { compareSets, type Comparison, type ObjectDrift } from './compare.js'
import { yamlReader } from '../yaml/read.js'
import { DependencyReader } from './dependencies.js'
import { remediationPlan, type RemediationPlan } from './plan.js'

export interface SideSummary {
  source: string
  kind: string
  digest: string
  objects: number
}

export interface DriftReport {
  drift: boolean
  baseline: SideSummary
  current: SideSummary
  summary: {
    added: number
    removed: number
    changed: number
    noise_only: number
    equivalent: number
    unchanged: number
    ignored: number
  }
  precision: Comparison['precision']
  objects: ObjectDrift[]
  noise_only: string[]
  equivalent: string[]
  plan: RemediationPlan
}

/** Compares the current config with a baseline and plans the remediation. */
export async function checkDrift(
  baselineSpec: string,
  currentSpec: string,
  ctx: Pick<ToolContext, 'config' | 'paths' | 'artifacts' | 'logger'>,
): Promise<DriftReport> {
  const settings = driftSettings(ctx.config)
  const baseline = await loadConfigSource(baselineSpec, ctx)
  const current = await loadConfigSource(currentSpec, ctx, { like: baseline.set })
  const parse = await yamlReader(maxYamlBytes(ctx.config))
  const result = compareSets(baseline.set, current.set, {
    noise: settings.noise,
    ignore: settings.ignore,
    parse,
  })
  const count = (status: ObjectDrift['status']) => result.drift.filter((d) => d.status === status).length
  return {
    drift: result.drift.length > 0,
    baseline: side(baselineSpec, baseline),
    current: side(currentSpec, current),
    summary: {
      added: count('added'),
      removed: count('removed'),
      changed: count('changed'),
      noise_only: result.noise_only.length,
      equivalent: result.equivalent.length,
      unchanged: result.unchanged,
      ignored: result.ignored,
    },
    precision: result.precision,
    objects: result.drift,
    noise_only: result.noise_only,
    equivalent: result.equivalent,
    plan: remediationPlan(
      result.drift,
      { spec: baselineSpec, kind: baseline.set.kind, manifestOnly: baseline.set.manifestOnly },
      { spec: currentSpec },
      settings.accept_site,
      {
        baseline: new DependencyReader(baseline.set, parse),
        current: new DependencyReader(current.set, parse),
      },
    ),
  }
}

function side(spec: string, loaded: LoadedSource): SideSummary {
  return { source: spec, kind: loaded.set.kind, digest: loaded.digest, objects: loaded.set.objects.size }
}
