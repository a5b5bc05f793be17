import { readFileSync } from 'node:fs'
import path from 'node:path'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { parse } from 'yaml'

/** Where the team keeps Tekton's published CRDs (tektoncd/pipeline config/300-crds). */
export const TEKTON_FIXTURES =
  process.env.DRIFTCORE_SHARED_FIXTURES !== undefined
    ? path.join(process.env.DRIFTCORE_SHARED_FIXTURES, 'tekton')
    : path.resolve(import.meta.dirname, '../../../../../shared/fixtures/tekton')

export interface CrdVersion {
  kind: string
  plural: string
  singular: string
  shortNames: string[]
  categories: string[]
  printerColumns: { name: string; type: string; jsonPath: string }[]
  validate: ValidateFunction
}

type Schema = Record<string, unknown>

/**
 * A Kubernetes structural schema as JSON Schema, with the API server's strict field validation
 * (what `kubectl` asks for by default): an object that lists its properties refuses others unless
 * it says `x-kubernetes-preserve-unknown-fields`; `nullable` admits null; int-or-string is either.
 */
export function structuralToJsonSchema(node: Schema): Schema {
  const out: Schema = {}
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-kubernetes-') || key === 'nullable' || key === 'description') continue
    if (key === 'properties')
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, structuralToJsonSchema(v)]),
      )
    else if (key === 'items' || (key === 'additionalProperties' && typeof value === 'object'))
      out[key] = structuralToJsonSchema(value as Schema)
    else if (key === 'anyOf' || key === 'allOf' || key === 'oneOf')
      out[key] = (value as Schema[]).map(structuralToJsonSchema)
    else out[key] = value
  }
  if (node['x-kubernetes-int-or-string'] === true) {
    delete out.type
    if (!out.anyOf) out.anyOf = [{ type: 'integer' }, { type: 'string' }]
  }
  if (node.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null']
  const open = node['x-kubernetes-preserve-unknown-fields'] === true
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined && !open)
    out.additionalProperties = false
  return out
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv
let cache: Map<string, CrdVersion> | undefined

/** The v1 schemas of Pipeline, PipelineRun, Task and TaskRun, by plural. */
export function tektonCrds(): Map<string, CrdVersion> {
  if (cache) return cache
  const ajv = new Ajv({ strict: false, allErrors: true })
  addFormats(ajv)
  ajv.addFormat('int32', true)
  ajv.addFormat('int64', true)
  cache = new Map()
  for (const file of ['300-pipeline', '300-pipelinerun', '300-task', '300-taskrun']) {
    const crd = parse(readFileSync(path.join(TEKTON_FIXTURES, 'crds', `${file}.yaml`), 'utf8')) as {
      spec: {
        names: {
          kind: string
          plural: string
          singular: string
          shortNames?: string[]
          categories?: string[]
        }
        versions: {
          name: string
          schema: { openAPIV3Schema: Schema }
          additionalPrinterColumns?: CrdVersion['printerColumns']
        }[]
      }
    }
    const v1 = crd.spec.versions.find((v) => v.name === 'v1')!
    const names = crd.spec.names
    cache.set(names.plural, {
      kind: names.kind,
      plural: names.plural,
      singular: names.singular,
      shortNames: names.shortNames ?? [],
      categories: names.categories ?? [],
      printerColumns: v1.additionalPrinterColumns ?? [],
      validate: ajv.compile(structuralToJsonSchema(v1.schema.openAPIV3Schema)),
    })
  }
  return cache
}

/** A field the schema refuses, named the way the API server names it (`spec.params[0].value`). */
export interface FieldError {
  field: string
  message: string
  /** An undeclared field: the server's strict decoding refuses it before the schema is checked. */
  unknown: boolean
}

export function fieldErrors(errors: ErrorObject[] | null | undefined): FieldError[] {
  return (errors ?? []).map((e) => {
    const at = e.instancePath
      .replace(/^\//, '')
      .replace(/\/(\d+)(?=\/|$)/g, '[$1]')
      .replaceAll('/', '.')
    if (e.keyword === 'additionalProperties') {
      const field = `${at ? `${at}.` : ''}${(e.params as { additionalProperty: string }).additionalProperty}`
      return { field, message: `unknown field "${field}"`, unknown: true }
    }
    return {
      field: at,
      message: `${at || '<root>'}: Invalid value: ${e.message ?? 'invalid'}`,
      unknown: false,
    }
  })
}
