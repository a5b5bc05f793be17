import { describe, expect, it } from 'vitest'
import { parseYaml } from '../../../src/store/yaml.js'

describe('parseYaml', () => {
  it.each([
    ['a duplicate key', 'services:\n  db:\n    image: a:1\n    image: b:2\n', 'policy.yaml:4:5'],
    ['a bad indent', 'rules:\n  - id: a\n   decision: ALLOW\n', 'policy.yaml:3:'],
  ])('places %s at its line and column', (_what, text, where) => {
    expect(() => parseYaml(text, 'policy.yaml')).toThrow(
      expect.objectContaining({ message: expect.stringContaining(where) }),
    )
  })
})
