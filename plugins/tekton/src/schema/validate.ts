import { readFileSync } from 'node:fs'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'

/** The kinds driftcore writes or reads, by `kind`, and the schema file of each. */
const SCHEMA_FILES: Record<string, string> = {
  Pipeline: 'pipeline.v1.json',
  PipelineRun: 'pipelinerun.v1.json',
  Task: 'task.v1.json',
  TaskRun: 'taskrun.v1.json',
}

const validators = new Map<string, ValidateFunction>()

// Kubernetes schemas carry x-kubernetes-* keywords and int32/int64 formats: ajv's strict mode
// would refuse them, while they change nothing about which documents are valid JSON-wise.
function validatorFor(kind: string): ValidateFunction | undefined {
  const file = SCHEMA_FILES[kind]
  if (!file) return undefined
  let validate = validators.get(kind)
  if (!validate) {
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false })
    const url = new URL(`../../schemas/${file}`, import.meta.url)
    validate = ajv.compile(strict(JSON.parse(readFileSync(url, 'utf8'))) as object)
    validators.set(kind, validate)
  }
  return validate
}

/**
 * The API server prunes fields a structural schema does not name, silently: a misspelt
 * `runafter` would vanish and its ordering with it. So, as `kubectl --validate=strict` does,
 * a field the schema does not know is an error (except under x-kubernetes-preserve-unknown-fields).
 */
function strict(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strict)
  if (node === null || typeof node !== 'object') return node
  const out = Object.fromEntries(
    Object.entries(node).map(([k, v]) => [k, k === 'properties' ? mapValues(v, strict) : strict(v)]),
  )
  if (
    out.properties &&
    out.additionalProperties === undefined &&
    out['x-kubernetes-preserve-unknown-fields'] !== true
  )
    out.additionalProperties = false
  return out
}

function mapValues(value: unknown, f: (v: unknown) => unknown): unknown {
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, f(v)]))
}

/**
 * Checks one `tekton.dev/v1` document against the openAPIV3Schema of its CRD (the copies in
 * schemas/, extracted from Tekton's own CRD files), unknown fields included. Returns the problems, `[]` when valid.
 */
export function validateTekton(doc: unknown): string[] {
  const { apiVersion, kind } = (doc ?? {}) as { apiVersion?: unknown; kind?: unknown }
  if (apiVersion !== 'tekton.dev/v1') return [`apiVersion is ${String(apiVersion)}, not tekton.dev/v1`]
  const validate = typeof kind === 'string' ? validatorFor(kind) : undefined
  if (!validate) return [`kind ${String(kind)} is not a Tekton kind driftcore knows`]
  if (validate(doc)) return []
  return (validate.errors ?? []).map(
    (e: ErrorObject) => `${String(kind)}: ${e.instancePath || '/'}: ${e.message ?? 'invalid'}`,
  )
}
