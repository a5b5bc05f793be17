import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { DriftcoreError } from '../../errors/driftcore-error.js'

/** Checks a value; returns problems as `path: message`, none when it is valid. */
export type JsonValidator = (value: unknown) => string[]

let ajv: Ajv2020 | undefined

// ajv-formats is CommonJS: under NodeNext its default export is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule) as unknown as (ajv: Ajv2020) => void

function instance(): Ajv2020 {
  if (!ajv) {
    ajv = new Ajv2020({ allErrors: true, strict: false })
    addFormats(ajv)
  }
  return ajv
}

/** Compiles a workflow's input or output JSON Schema; a schema that does not compile is bad input. */
export function compileJsonSchema(schema: Record<string, unknown>, where: string): JsonValidator {
  let validate
  try {
    validate = instance().compile(schema)
  } catch (error) {
    throw new DriftcoreError(
      'invalid_input',
      `${where}: not a valid JSON Schema: ${(error as Error).message}`,
      {
        cause: error,
      },
    )
  }
  return (value) => {
    if (validate(value)) return []
    return (validate.errors ?? []).map(
      (e) =>
        `${e.instancePath === '' ? '(root)' : e.instancePath.slice(1).replaceAll('/', '.')}: ${e.message ?? 'is invalid'}`,
    )
  }
}
