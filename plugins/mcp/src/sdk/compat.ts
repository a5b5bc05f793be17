type Schema = Record<string, unknown>

export type IssueKind =
  'required' | 'type' | 'values' | 'constraint' | 'constrained' | 'union' | 'closed' | 'removed'

/**
 * One way `after` rejects something `before` accepted, at a path such as `input.words[]`:
 * `from` is what `before` said and `to` what `after` says (for values and unions, `to` lists
 * what `after` no longer accepts).
 */
export interface Issue {
  path: string
  kind: IssueKind
  from?: string
  to?: string
}

interface Roots {
  before: Schema
  after: Schema
}

/**
 * What `after` rejects that `before` accepted, for the JSON Schemas zod and MCP servers emit
 * (types, enums and consts, unions, bounds, patterns, required and closed objects, arrays,
 * local $refs). Conservative where it cannot tell: an unknown change of `pattern` counts.
 */
export function narrowing(before: unknown, after: unknown, path: string): Issue[] {
  const roots = { before: before as Schema, after: after as Schema }
  return compare(before, after, path, roots, new Set())
}

function compare(
  rawBefore: unknown,
  rawAfter: unknown,
  path: string,
  roots: Roots,
  seen: Set<string>,
): Issue[] {
  const before = resolve(rawBefore, roots.before)
  const after = resolve(rawAfter, roots.after)
  // Recursive schemas: a pair already being compared adds nothing new.
  const key = `${JSON.stringify(before)}\u0000${JSON.stringify(after)}`
  if (seen.has(key)) return []
  seen.add(key)
  if (after === true || isEmpty(after)) return []
  if (after === false) return [{ path, kind: 'constrained', from: 'any value', to: 'nothing' }]
  if (before === true || isEmpty(before))
    return [{ path, kind: 'constrained', from: 'any value', to: describe(after) }]
  const a = after as Schema
  const b = before as Schema

  const bBranches = branches(b)
  const aBranches = branches(a)
  if (bBranches.length > 1 || aBranches.length > 1) {
    return bBranches
      .filter(
        (branch) =>
          !aBranches.some((candidate) => compare(branch, candidate, path, roots, new Set()).length === 0),
      )
      .map((branch) => ({ path, kind: 'union' as const, to: describe(branch) }))
  }

  const issues: Issue[] = []
  const bTypes = types(b)
  const aTypes = types(a)
  if (
    aTypes &&
    (!bTypes || bTypes.some((t) => !aTypes.includes(t) && !(t === 'integer' && aTypes.includes('number'))))
  ) {
    return [{ path, kind: 'type', from: bTypes?.join('|') ?? 'any', to: aTypes.join('|') }]
  }
  const bValues = values(b)
  const aValues = values(a)
  if (aValues) {
    if (!bValues) issues.push({ path, kind: 'constrained', from: describe(b), to: list(aValues) })
    else {
      const lost = bValues.filter((v) => !aValues.some((w) => JSON.stringify(w) === JSON.stringify(v)))
      if (lost.length > 0) issues.push({ path, kind: 'values', to: list(lost) })
    }
  }
  for (const [word, tighter] of BOUNDS) {
    const was = b[word]
    const now = a[word]
    if (now === undefined || JSON.stringify(now) === JSON.stringify(was)) continue
    if (was === undefined || tighter(was, now))
      issues.push({ path, kind: 'constraint', from: `${word} ${show(was)}`, to: `${word} ${show(now)}` })
  }
  if (a.uniqueItems === true && b.uniqueItems !== true)
    issues.push({ path, kind: 'constraint', from: 'uniqueItems false', to: 'uniqueItems true' })

  if (b.items !== undefined || a.items !== undefined)
    issues.push(...compare(b.items ?? true, a.items ?? true, `${path}[]`, roots, seen))

  const bRequired = new Set(strings(b.required))
  for (const name of strings(a.required))
    if (!bRequired.has(name)) issues.push({ path: `${path}.${name}`, kind: 'required' })
  const bProps = (b.properties ?? {}) as Record<string, unknown>
  const aProps = (a.properties ?? {}) as Record<string, unknown>
  for (const [name, schema] of Object.entries(bProps)) {
    if (name in aProps) issues.push(...compare(schema, aProps[name], `${path}.${name}`, roots, seen))
    else if (a.additionalProperties === false) issues.push({ path: `${path}.${name}`, kind: 'removed' })
    else if (isSchema(a.additionalProperties))
      issues.push(...compare(schema, a.additionalProperties, `${path}.${name}`, roots, seen))
  }
  if (
    a.additionalProperties === false &&
    b.additionalProperties !== false &&
    (b.type === 'object' || a.type === 'object')
  )
    issues.push({ path, kind: 'closed' })
  else if (isSchema(a.additionalProperties) && b.additionalProperties !== false)
    issues.push(...compare(b.additionalProperties ?? true, a.additionalProperties, `${path}{}`, roots, seen))
  return issues
}

const up = (was: unknown, now: unknown) => typeof was === 'number' && typeof now === 'number' && now > was
const down = (was: unknown, now: unknown) => typeof was === 'number' && typeof now === 'number' && now < was
const changed = () => true
const BOUNDS: [string, (was: unknown, now: unknown) => boolean][] = [
  ['minimum', up],
  ['exclusiveMinimum', up],
  ['maximum', down],
  ['exclusiveMaximum', down],
  ['minLength', up],
  ['maxLength', down],
  ['minItems', up],
  ['maxItems', down],
  ['minProperties', up],
  ['maxProperties', down],
  ['multipleOf', changed],
  ['pattern', changed],
  ['format', changed],
]

function resolve(schema: unknown, root: Schema): unknown {
  let node = schema
  for (let depth = 0; depth < 32 && isSchema(node) && typeof node.$ref === 'string'; depth++) {
    const ref = node.$ref
    if (!ref.startsWith('#/')) return true // remote refs: cannot tell, assume anything
    let target: unknown = root
    for (const part of ref.slice(2).split('/'))
      target = (target as Schema | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')]
    const { $ref: _ref, ...rest } = node
    node = Object.keys(rest).length > 0 ? { ...(target as Schema), ...rest } : target
  }
  return node
}

function branches(schema: Schema): unknown[] {
  const list = (schema.anyOf ?? schema.oneOf) as unknown[] | undefined
  if (!Array.isArray(list)) return [schema]
  const { anyOf: _a, oneOf: _o, ...shared } = schema
  return Object.keys(shared).length > 0 ? list.map((b) => ({ ...shared, ...(b as Schema) })) : list
}

function types(schema: Schema): string[] | undefined {
  if (typeof schema.type === 'string') return [schema.type]
  if (Array.isArray(schema.type)) return schema.type as string[]
  return undefined
}

function values(schema: Schema): unknown[] | undefined {
  if (Array.isArray(schema.enum)) return schema.enum as unknown[]
  if ('const' in schema) return [schema.const]
  return undefined
}

function isSchema(value: unknown): value is Schema {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function isEmpty(value: unknown): boolean {
  if (!isSchema(value)) return false
  const meaningful = Object.keys(value).filter(
    (k) => !['description', 'title', 'default', 'examples', '$schema'].includes(k),
  )
  return meaningful.length === 0
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}

function show(value: unknown): string {
  return value === undefined ? 'none' : typeof value === 'string' ? value : JSON.stringify(value)
}

function list(items: unknown[]): string {
  return items.map((v) => JSON.stringify(v)).join(', ')
}

function describe(schema: unknown): string {
  if (!isSchema(schema)) return String(schema)
  const v = values(schema)
  if (v) return list(v)
  return types(schema)?.join('|') ?? 'a constrained value'
}
