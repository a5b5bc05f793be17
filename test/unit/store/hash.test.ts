import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import canonicalize from 'canonicalize'
import yaml from 'js-yaml'
import { describe, expect, it } from 'vitest'
import { canonicalHash, sha256 } from '../../../src/store/hash.js'
import { SHARED_FIXTURES } from '../../helpers/project.js'

const reference = (value: unknown) => sha256(canonicalize(value) ?? 'null')

describe('canonicalHash', () => {
  it('hashes the same bytes as RFC 8785 canonical JSON of the whole value', () => {
    const values: unknown[] = [
      null,
      0,
      -0,
      1e21,
      1.5e-7,
      'é\u2028"\\',
      true,
      [],
      {},
      [undefined, () => 1, Symbol('s'), { a: undefined, b: null }],
      { z: 1, a: [{ y: 'x', b: [1, 2, { d: new Date(0) }] }], '\u00e9': 2, 'e\u0301': 3, '10': 4, '9': 5 },
      { when: { toJSON: () => undefined }, kept: { toJSON: () => ({ b: 1, a: 2 }) }, n: new Number(3) },
      Object.assign(Object.create(null) as object, { b: 1, a: 2 }),
      {
        long: Array.from({ length: 30_000 }, (_, i) => ({
          id: `s${i}`,
          with: { i, text: 'x'.repeat(i % 7) },
        })),
      },
    ]
    for (const value of values) expect(canonicalHash(value)).toBe(reference(value))
  })

  it('matches on real Drupal config: the USA.gov config/sync files', () => {
    const dir = path.join(SHARED_FIXTURES, 'drupal-site2/sync')
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yml'))
    expect(files.length).toBeGreaterThan(100)
    const all = files.map((f) => yaml.load(readFileSync(path.join(dir, f), 'utf8')))
    expect(canonicalHash(all)).toBe(reference(all))
  })

  it('refuses what canonical JSON cannot hold: cycles, lone surrogates, non-finite numbers', () => {
    const cycle: Record<string, unknown> = { a: 1 }
    cycle.self = { back: cycle }
    expect(() => canonicalHash(cycle)).toThrow(/Circular/)
    expect(() => canonicalHash({ s: '\ud800' })).toThrow(/surrogate/)
    expect(() => canonicalHash({ ['\udc00']: 1 })).toThrow(/surrogate/)
    expect(() => canonicalHash([Number.NaN])).toThrow(/NaN/)
    const shared = { x: 1 }
    expect(canonicalHash([shared, shared])).toBe(reference([shared, shared]))
  })
})
