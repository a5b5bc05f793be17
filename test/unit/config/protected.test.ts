import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../../../src/config/effective.js'
import { flagLayer, type ConfigLayer } from '../../../src/config/layers.js'
import { isProtectedKey, protectedViolations } from '../../../src/config/protected.js'

const layer = (name: string, values: Record<string, unknown>): ConfigLayer => ({ name, values })
const keys = (layers: ConfigLayer[]) =>
  protectedViolations(layers).map((v) => `${v.layer.name}:${v.keyPath.join('.')}:${v.reason}`)

describe('protected config keys', () => {
  it('cover a listed key, everything below it, and the parents that would replace it', () => {
    expect(isProtectedKey('policy.trusted_keys')).toBe(true)
    expect(isProtectedKey('sandbox.limits.cpu_seconds')).toBe(true)
    expect(isProtectedKey('sandbox')).toBe(true)
    expect(isProtectedKey('sandbox.path')).toBe(false)
    expect(isProtectedKey('mcp.http.port')).toBe(false)
    expect(isProtectedKey('workflow.concurrency')).toBe(false)
  })

  it('may come from the defaults, the user layer and the project; packs, env and flags need a grant', () => {
    const set = { policy: { trusted_keys: [] } }
    expect(
      keys([
        layer('default', set),
        layer('user', set),
        layer('project', set),
        layer('pack:x', set),
        layer('env', set),
        layer('flag', set),
      ]),
    ).toEqual([
      'pack:x:policy.trusted_keys:protected',
      'env:policy.trusted_keys:protected',
      'flag:policy.trusted_keys:protected',
    ])
  })

  it('are opened by config.allow_overrides globs in the project layer only', () => {
    const project = layer('project', { config: { allow_overrides: ['sandbox.limits.*', 'launcher'] } })
    const flag = layer('flag', {
      sandbox: { limits: { cpu_seconds: 1 }, isolation: 'off' },
      launcher: { allowlist: ['git'] },
    })
    expect(keys([project, flag])).toEqual(['flag:sandbox.isolation:protected'])
    const user = layer('user', { config: { allow_overrides: ['**'] } })
    expect(keys([user, layer('env', { audit: { fsync: 'off' } })])).toEqual([
      'user:config.allow_overrides:project_only',
      'env:audit.fsync:protected',
    ])
  })

  it('refuse the whole config with forbidden (exit 11), naming the flag', () => {
    expect(() => resolveConfig([layer('default', {}), flagLayer(['approvals.ttl_ms=1'])])).toThrow(
      expect.objectContaining({
        code: 'forbidden',
        message: expect.stringContaining('--config approvals.ttl_ms: approvals.ttl_ms is protected'),
      }),
    )
  })

  it('never let a key reach an object prototype', () => {
    expect(() => flagLayer(['__proto__.isolation=off'])).toThrow(/"__proto__" is not a config key/)
    expect(() => flagLayer(['sandbox.constructor.x=1'])).toThrow(/not a config key/)
  })
})
