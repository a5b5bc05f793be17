import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { jsonSchema } from 'driftcore'
import { CATALOG_FORMAT, type Catalog, type CatalogTool } from '../../src/sdk/catalog.js'
import { diffCatalogs } from '../../src/sdk/diff.js'

function tool(name: string, input: z.ZodType, output?: z.ZodType): CatalogTool {
  return {
    name,
    inputSchema: jsonSchema(input, 'input'),
    ...(output ? { outputSchema: jsonSchema(output, 'output') } : {}),
  }
}

function catalog(tools: CatalogTool[], prompts: Catalog['prompts'] = []): Catalog {
  return { format: CATALOG_FORMAT, tools, resources: [], resourceTemplates: [], prompts }
}

function breaking(before: z.ZodType, after: z.ZodType): string[] {
  return diffCatalogs(catalog([tool('t.x', before)]), catalog([tool('t.x', after)])).breaking
}

function outputBreaking(before: z.ZodType, after: z.ZodType): string[] {
  return diffCatalogs(
    catalog([tool('t.x', z.object({}), before)]),
    catalog([tool('t.x', z.object({}), after)]),
  ).breaking
}

describe('sdk check: breaking changes between a snapshot and the live catalog', () => {
  it('finds nothing when the catalog is unchanged', () => {
    const same = catalog([tool('t.x', z.object({ a: z.string() }), z.object({ ok: z.boolean() }))])
    expect(diffCatalogs(same, structuredClone(same))).toEqual({ breaking: [], compatible: [] })
  })

  it('reports a removed tool as breaking and an added one as compatible', () => {
    const diff = diffCatalogs(catalog([tool('t.old', z.object({}))]), catalog([tool('t.new', z.object({}))]))
    expect(diff.breaking).toEqual(['tool t.old was removed'])
    expect(diff.compatible).toEqual(['tool t.new was added'])
  })

  it('reports a new required input, but not a new optional one', () => {
    const base = z.object({ a: z.string() })
    expect(breaking(base, z.object({ a: z.string(), b: z.number() }))).toEqual([
      'tool t.x: input.b is a new required input',
    ])
    expect(breaking(base, z.object({ a: z.string(), b: z.number().optional() }))).toEqual([])
    expect(breaking(z.object({ a: z.string().optional() }), base)).toEqual([
      'tool t.x: input.a is a new required input',
    ])
  })

  it('reports narrowed input types, values and bounds, and accepts widened ones', () => {
    expect(breaking(z.object({ a: z.union([z.string(), z.number()]) }), z.object({ a: z.string() }))).toEqual(
      ['tool t.x: input.a type narrowed from string|number to string'],
    )
    expect(breaking(z.object({ a: z.number() }), z.object({ a: z.number().int() }))).toEqual([
      'tool t.x: input.a type narrowed from number to integer',
    ])
    expect(breaking(z.object({ a: z.enum(['x', 'y']) }), z.object({ a: z.enum(['x']) }))).toEqual([
      'tool t.x: input.a no longer accepts "y"',
    ])
    expect(breaking(z.object({ a: z.string() }), z.object({ a: z.string().min(3) }))).toEqual([
      'tool t.x: input.a tightened from minLength none to minLength 3',
    ])
    expect(
      breaking(z.object({ w: z.array(z.string()) }), z.object({ w: z.array(z.string().max(3)) })),
    ).toEqual(['tool t.x: input.w[] tightened from maxLength none to maxLength 3'])
    expect(breaking(z.object({ a: z.string() }), z.strictObject({ a: z.string() }))).toEqual([
      'tool t.x: input now rejects properties the schema does not name',
    ])
    expect(breaking(z.object({ a: z.string() }), z.object({ a: z.union([z.string(), z.number()]) }))).toEqual(
      [],
    )
    expect(breaking(z.object({ a: z.number().int() }), z.object({ a: z.number() }))).toEqual([])
    expect(breaking(z.object({ a: z.string().min(3) }), z.object({ a: z.string().min(1) }))).toEqual([])
  })

  it('reports outputs a caller may not expect: widened types, fields no longer present', () => {
    expect(outputBreaking(z.object({ x: z.string() }), z.object({ x: z.string().nullable() }))).toEqual([
      'tool t.x: output.x type widened from string to string|null',
    ])
    expect(outputBreaking(z.object({ x: z.string() }), z.object({ x: z.string().optional() }))).toEqual([
      'tool t.x: output.x is no longer always present',
    ])
    expect(outputBreaking(z.object({ x: z.enum(['a']) }), z.object({ x: z.enum(['a', 'b']) }))).toEqual([
      'tool t.x: output.x may now be "b"',
    ])
    expect(outputBreaking(z.object({ x: z.string() }), z.object({ x: z.string(), y: z.number() }))).toEqual(
      [],
    )
  })

  it('reports removed prompts and newly required prompt arguments', () => {
    const before = catalog(
      [],
      [
        { name: 'p.one', arguments: [{ name: 'a', required: false }] },
        { name: 'p.two', arguments: [] },
      ],
    )
    const after = catalog([], [{ name: 'p.one', arguments: [{ name: 'a', required: true }] }])
    expect(diffCatalogs(before, after).breaking).toEqual([
      'prompt p.two was removed',
      'prompt p.one: argument a is newly required',
    ])
  })
})
