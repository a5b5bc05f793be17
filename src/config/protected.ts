import picomatch from 'picomatch'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { isPlainObject, type ConfigLayer, type PlainObject } from './layers.js'

/**
 * Keys that decide what the gate enforces: who must sign policy, what may run and how it is
 * isolated, how long approvals live, how the audit log is written, which environment policy
 * sees, and the commands config (not a tool's input) chooses. One list for core and plugin
 * sections alike; an entry covers its key and everything below it.
 *
 * Only trusted layers set them: the built-in defaults, the user's own config file (below the
 * project, so the project's value always wins) and the project config. The layers above the
 * project (installed packs, DRIFTCORE_* variables, --config flags) are what a caller controls
 * per command, so they may set a protected key only where the project config says so in
 * `config.allow_overrides`.
 */
export const PROTECTED_CONFIG_KEYS = [
  'policy',
  'launcher',
  'approvals',
  'audit',
  'project.environment',
  'pools',
  'workflow.notify',
  'sandbox.isolation',
  'sandbox.limits',
  // An agent's -c must not lift the cost bound that keeps a policy decision from holding the gate.
  'limits.cel_max_steps',
  'limits.cel_max_ms',
  'mcp.elicitation',
  'drush.command',
  // Which cluster, as whom, in which namespace: an override would point the user's Kubernetes
  // credentials elsewhere, or pick a kubeconfig user that runs a program outside the launcher.
  'tekton.kubeconfig',
  'tekton.context',
  'tekton.namespace',
  'tekton.exec_credentials',
  'config',
] as const

/** Layers whose values may set protected keys. */
const TRUSTED_LAYERS = new Set(['default', 'user', 'project'])

/** `config.*` (the grants themselves) may come from the project config alone. */
const PROJECT_ONLY = 'config'

function covers(entry: string, key: string): boolean {
  // Under the entry, the entry itself, or a parent of it (setting `sandbox` to a scalar replaces
  // sandbox.isolation along with it).
  return key === entry || key.startsWith(`${entry}.`) || entry.startsWith(`${key}.`)
}

export function isProtectedKey(key: string): boolean {
  return PROTECTED_CONFIG_KEYS.some((entry) => covers(entry, key))
}

/** The dotted paths of every value a layer sets (objects are walked; arrays and scalars are leaves). */
export function leafKeys(values: PlainObject, prefix: string[] = []): string[][] {
  return Object.entries(values).flatMap(([key, value]) =>
    isPlainObject(value) && Object.keys(value).length > 0
      ? leafKeys(value, [...prefix, key])
      : [[...prefix, key]],
  )
}

/**
 * A grant in `config.allow_overrides` is a dotted key or a glob over dotted keys (`*` one key,
 * `**` any depth); like the protected list, it covers the key and everything below it.
 */
function grants(patterns: readonly string[]): (key: string) => boolean {
  const matchers = patterns.map((p) => picomatch(p.replaceAll('.', '/'), { dot: true }))
  return (key) => {
    const parts = key.split('.')
    return parts.some((_, i) => {
      const prefix = parts.slice(0, i + 1).join('/')
      return matchers.some((m) => m(prefix))
    })
  }
}

export interface LayerViolation {
  layer: ConfigLayer
  keyPath: string[]
  reason: 'protected' | 'project_only'
}

/** Every value a layer may not set, given the grants of the project layer. */
export function protectedViolations(layers: readonly ConfigLayer[]): LayerViolation[] {
  const project = layers.find((l) => l.name === 'project')
  const configured = isPlainObject(project?.values.config) ? project.values.config.allow_overrides : undefined
  const allowed = grants(
    Array.isArray(configured) ? configured.filter((p): p is string => typeof p === 'string') : [],
  )
  const violations: LayerViolation[] = []
  for (const layer of layers) {
    if (layer.name === 'default' || layer.name === 'project') continue
    for (const keyPath of leafKeys(layer.values)) {
      const key = keyPath.join('.')
      if (covers(PROJECT_ONLY, key)) violations.push({ layer, keyPath, reason: 'project_only' })
      else if (!TRUSTED_LAYERS.has(layer.name) && isProtectedKey(key) && !allowed(key))
        violations.push({ layer, keyPath, reason: 'protected' })
    }
  }
  return violations
}

/**
 * Refuses a config in which an untrusted layer sets a protected key: `forbidden`, naming each
 * key and where it was set, never a silent drop (a caller must know its setting did not apply).
 */
export function assertNoProtectedOverrides(
  layers: readonly ConfigLayer[],
  where: (layer: ConfigLayer, keyPath: readonly string[]) => string,
): void {
  const violations = protectedViolations(layers)
  if (violations.length === 0) return
  const problems = violations.map(({ layer, keyPath, reason }) => {
    const key = keyPath.join('.')
    return reason === 'project_only'
      ? `${where(layer, keyPath)}: ${key}: only the project config (.driftcore/config.yaml) may set config.*`
      : `${where(layer, keyPath)}: ${key} is protected; the ${layerLabel(layer)} may not set it`
  })
  throw new DriftcoreError('forbidden', `config overrides refused:\n  ${problems.join('\n  ')}`, {
    hint:
      'protected keys (policy, launcher, sandbox isolation and limits, approvals, audit, project.environment…) ' +
      'come from the project or user config; set it there (`driftcore config set KEY VALUE`), or let ' +
      'overrides through in the project config: config.allow_overrides: [KEY]',
    details: { problems, keys: violations.map((v) => v.keyPath.join('.')) },
  })
}

function layerLabel(layer: ConfigLayer): string {
  if (layer.name === 'env') return 'environment'
  if (layer.name === 'flag') return '--config flag'
  if (layer.name.startsWith('pack:')) return `pack ${layer.name.slice(5)}`
  return `${layer.name} layer`
}
