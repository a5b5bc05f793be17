import { describe, expect, it } from 'vitest'
import { toolAnnotations } from '../../src/server/catalog.js'

describe('tool annotations', () => {
  it('say idempotentHint for read-only tools and for tools that declare idempotent', () => {
    expect(toolAnnotations(['read']).idempotentHint).toBe(true)
    expect(toolAnnotations(['write'], undefined, true)).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: true,
    })
    expect(toolAnnotations(['exec', 'write']).idempotentHint).toBe(false)
  })
})
