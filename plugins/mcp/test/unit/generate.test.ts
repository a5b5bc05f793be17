import { describe, expect, it } from 'vitest'
import { methodName, typeName, uniqueNames } from '../../src/sdk/names.js'
import { nameSchema } from '../../src/sdk/schema-names.js'

describe('sdk names', () => {
  it('turns tool ids into method and type names', () => {
    expect(methodName('hello.greet')).toBe('helloGreet')
    expect(methodName('drush.cacheRebuild')).toBe('drushCacheRebuild')
    expect(methodName('get-weather_now')).toBe('getWeatherNow')
    expect(methodName('3d.render')).toBe('tool3dRender')
    expect(typeName('approvals.status')).toBe('ApprovalsStatus')
  })

  it('keeps names distinct when two tools map to the same identifier', () => {
    const names = uniqueNames(['a.bC', 'aB.c', 'a-b-c'])
    expect([...names.values()].map((n) => n.method)).toEqual(['aBC', 'aBC2', 'aBC3'])
  })
})

describe('schema naming for the type generator', () => {
  it('names the root and its definitions after the type, drops nested titles, keeps a property called title', () => {
    const named = nameSchema(
      {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        title: 'Ignored',
        type: 'object',
        properties: {
          title: { type: 'string', title: 'A title' },
          node: { $ref: '#/$defs/__schema0' },
        },
        $defs: {
          __schema0: { type: 'object', title: 'Node', properties: { next: { $ref: '#/$defs/__schema0' } } },
        },
      },
      'TreeInput',
    )
    expect(named).toEqual({
      title: 'TreeInput',
      type: 'object',
      properties: { title: { type: 'string' }, node: { $ref: '#/$defs/TreeInputSchema0' } },
      $defs: {
        TreeInputSchema0: {
          type: 'object',
          title: 'TreeInputSchema0',
          properties: { next: { $ref: '#/$defs/TreeInputSchema0' } },
        },
      },
    })
  })
})
