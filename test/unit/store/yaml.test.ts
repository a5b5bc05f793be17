import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  loadYamlText,
  parseYaml,
  parseYamlValues,
  readYamlFast,
  validateYaml,
} from '../../../src/store/yaml.js'

describe('YAML loading', () => {
  it('reports a syntax error at file:line:col', () => {
    expect(() => parseYaml('a: 1\nb: "x\n', 'f.yaml')).toThrow('f.yaml:3:1: Missing closing "quote')
    expect(() => parseYaml('a: 1\nb: 2\nc: [1, 2\n', 'g.yaml')).toThrow(/g\.yaml:4:1: Flow sequence/)
  })

  it('refuses duplicate keys', () => {
    expect(() => parseYaml('a: 1\na: 2\n', 'f.yaml')).toThrow(/f\.yaml:2:1: Map keys must be unique/)
  })

  it('refuses a file over the size limit before parsing it', () => {
    expect(() => parseYaml('x: ' + 'y'.repeat(2000), 'big.yaml', 1000)).toThrow(
      /big\.yaml is 2003 bytes, over the 1000-byte limit/,
    )
  })

  it('refuses an alias bomb instead of expanding it', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i)
      const name = String.fromCharCode(97 + i)
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`)
    }
    expect(() => parseYaml(levels.join('\n') + '\n', 'bomb.yaml')).toThrow(
      /bomb\.yaml: .*[Ee]xcessive alias count/,
    )
  })

  it('places schema errors at the offending value, and unknown keys at the key', () => {
    const schema = z.strictObject({
      steps: z.array(z.strictObject({ id: z.string(), timeout: z.number().optional() })),
    })
    const text = 'steps:\n  - id: one\n  - id: two\n    timeout: soon\n    retries: 3\n'
    expect(() => loadYamlText(text, 'w.yaml', schema)).toThrow(
      /w\.yaml:4:14: steps\.1\.timeout: .*\n\s+w\.yaml:5:5: steps\.1\.retries: unknown key "retries"/,
    )
  })

  it.each([
    ['a duplicate key', 'services:\n  db:\n    image: a:1\n    image: b:2\n', 'policy.yaml:4:5'],
    ['a bad indent', 'rules:\n  - id: a\n   decision: ALLOW\n', 'policy.yaml:3:'],
  ])('places %s at its line and column', (_what, text, where) => {
    expect(() => parseYaml(text, 'policy.yaml')).toThrow(
      expect.objectContaining({ message: expect.stringContaining(where) }),
    )
  })

  it('takes the fast path only for plain text it can trust, leaving the rest to the careful parser', () => {
    expect(readYamlFast('a: 1\nb: [x, y]\n')).toEqual({ a: 1, b: ['x', 'y'] })
    expect(readYamlFast('a: &x [1]\nb: *x\n')).toBeUndefined()
    expect(readYamlFast('a: 1\na: 2\n')).toBeUndefined()
    expect(readYamlFast('a: "x\n')).toBeUndefined()
    expect(readYamlFast('x: ' + 'y'.repeat(2000), 1000)).toBeUndefined()
    // Both parsers read the YAML 1.2 core schema alike: no yes/no booleans, no timestamps.
    const text = 'on: yes\nwhen: 2026-01-01\nn: 0o17\n'
    expect(readYamlFast(text)).toEqual(parseYaml(text, 'f.yaml').value)
  })

  describe('parseYamlValues (config layers and policy bundles, read at every start)', () => {
    const bomb = () => {
      const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
      for (let i = 1; i < 10; i++) {
        const prev = String.fromCharCode(96 + i)
        const name = String.fromCharCode(97 + i)
        levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`)
      }
      return levels.join('\n') + '\n'
    }

    it('gives the values the position-keeping parser gives', () => {
      const text =
        'audit:\n  fsync: always\nlimits: {max_input_bytes: 0x10, cel_max_steps: 1e3}\nx: ~\ny: "on"\nz: no\n'
      expect(parseYamlValues(text, 'c.yaml').value).toEqual(parseYaml(text, 'c.yaml').value)
    })

    it('still refuses duplicate keys, an alias bomb, deep nesting and an oversized file, at file:line:col', () => {
      expect(() => parseYamlValues('a: 1\na: 2\n', 'f.yaml')).toThrow(/f\.yaml:2:1: Map keys must be unique/)
      expect(() => parseYamlValues(bomb(), 'bomb.yaml')).toThrow(/bomb\.yaml: .*[Ee]xcessive alias count/)
      expect(() => parseYamlValues(`a: ${'['.repeat(200)}${']'.repeat(200)}\n`, 'deep.yaml')).toThrow(
        /deep\.yaml:1:/,
      )
      expect(() => parseYamlValues('x: ' + 'y'.repeat(2000), 'big.yaml', 1000)).toThrow(
        /over the 1000-byte limit/,
      )
    })

    it('places a schema error at the offending value though the values came from the fast parser', () => {
      const schema = z.strictObject({ audit: z.strictObject({ fsync: z.enum(['always', 'batch', 'off']) }) })
      const parsed = parseYamlValues('# project\naudit:\n  fsync: sometimes\n', 'config.yaml')
      expect(() => validateYaml(parsed, schema, 'config.yaml')).toThrow(/config\.yaml:3:10: audit\.fsync: /)
    })
  })
})
