type Schema = Record<string, unknown>

// Keywords whose values are schemas (one, a list, or a map of them) in the JSON Schema
// dialects zod and MCP use.
const ONE = ['additionalProperties', 'items', 'not', 'if', 'then', 'else', 'propertyNames', 'contains']
const LIST = ['anyOf', 'oneOf', 'allOf', 'prefixItems', 'items']
const MAP = ['properties', 'patternProperties', 'dependentSchemas', '$defs', 'definitions']

/**
 * Prepares one schema for json-schema-to-typescript so the types of many tools can share a
 * file: the root gets `name`, its definitions get `name` + their key (rewriting the refs), and
 * nested titles go, since they would become top-level type names that collide across tools.
 */
export function nameSchema(schema: Schema, name: string): Schema {
  const copy = structuredClone(schema)
  delete copy.$schema
  const renames = new Map<string, string>()
  for (const key of ['$defs', 'definitions'] as const) {
    const defs = copy[key] as Record<string, Schema> | undefined
    if (!defs) continue
    const renamed: Record<string, Schema> = {}
    for (const [defName, def] of Object.entries(defs)) {
      const newName = `${name}${pascal(defName)}`
      renames.set(`#/${key}/${defName}`, `#/${key}/${newName}`)
      renamed[newName] = def
    }
    copy[key] = renamed
  }
  walk(copy, (node) => {
    delete node.title
    const ref = node.$ref
    if (typeof ref === 'string' && renames.has(ref)) node.$ref = renames.get(ref)
  })
  for (const key of ['$defs', 'definitions'] as const) {
    for (const [defName, def] of Object.entries((copy[key] as Record<string, Schema> | undefined) ?? {}))
      def.title = defName
  }
  copy.title = name
  return copy
}

function walk(node: unknown, visit: (schema: Schema) => void): void {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return
  const schema = node as Schema
  visit(schema)
  for (const key of ONE) walk(schema[key], visit)
  for (const key of LIST)
    if (Array.isArray(schema[key])) for (const s of schema[key] as unknown[]) walk(s, visit)
  for (const key of MAP) {
    const map = schema[key]
    if (map && typeof map === 'object') for (const s of Object.values(map)) walk(s, visit)
  }
}

function pascal(s: string): string {
  return s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('')
}
