import { DriftcoreError } from 'driftcore/api'
import { classPrefix, humanName } from './machine-name.js'
import type { TemplateManifest } from './templates.js'

export interface ModuleRequest {
  name: string
  label?: string
  description?: string
  package?: string
  parts?: string[]
  vars?: Record<string, string>
}

/** Free text goes into PHP strings and YAML scalars: these forms are safe in each. */
function textForms(key: string, value: string): Record<string, string> {
  return {
    [key]: value,
    [`${key}_php`]: value.replaceAll('\\', '\\\\').replaceAll("'", "\\'"),
    [`${key}_yaml`]: JSON.stringify(value),
  }
}

export const CORE_VERSION_REQUIREMENT = '^10.3 || ^11'

/**
 * The data a template sees. Free text comes in three forms (`label`, `label_php` for inside
 * single-quoted PHP strings, `label_yaml` as a complete YAML scalar); `parts.NAME` says whether a
 * part was chosen. Only data: a view holds no functions, so rendering runs no code.
 */
export function buildView(
  manifest: TemplateManifest,
  request: ModuleRequest,
  template: string,
): { view: Record<string, unknown>; parts: string[] } {
  const known = Object.keys(manifest.parts)
  const chosen = request.parts ?? known.filter((p) => manifest.parts[p]!.default)
  const unknown = chosen.filter((p) => !known.includes(p))
  if (unknown.length > 0) {
    throw new DriftcoreError(
      'invalid_input',
      `template "${template}" has no part ${unknown.map((p) => `"${p}"`).join(', ')}`,
      {
        hint: `its parts: ${known.join(', ') || '(none)'}`,
        details: { parts: unknown },
      },
    )
  }
  const label = request.label ?? humanName(request.name)
  const view: Record<string, unknown> = {
    machine_name: request.name,
    class_prefix: classPrefix(request.name),
    route_path: request.name.replaceAll('_', '-'),
    core_version_requirement: CORE_VERSION_REQUIREMENT,
    ...textForms('label', label),
    ...textForms('description', request.description ?? `${label}.`),
    ...textForms('package', request.package ?? 'Custom'),
    parts: Object.fromEntries(known.map((p) => [p, chosen.includes(p)])),
  }
  const given = request.vars ?? {}
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(manifest.variables, key)) {
      throw new DriftcoreError('invalid_input', `template "${template}" has no variable "${key}"`, {
        hint: `its variables: ${Object.keys(manifest.variables).join(', ') || '(none)'}`,
      })
    }
  }
  for (const [key, spec] of Object.entries(manifest.variables)) {
    if (Object.hasOwn(view, key)) {
      throw new DriftcoreError(
        'invalid_input',
        `template "${template}" declares variable "${key}", which is built in`,
      )
    }
    const value = given[key] ?? spec.default
    if (value === undefined) {
      throw new DriftcoreError(
        'invalid_input',
        `template "${template}" needs the variable "${key}": ${spec.description}`,
        {
          hint: `give it with --var ${key}=VALUE`,
        },
      )
    }
    Object.assign(view, textForms(key, value))
  }
  return { view, parts: known.filter((p) => chosen.includes(p)) }
}
