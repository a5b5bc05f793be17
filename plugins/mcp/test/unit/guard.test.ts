import { describe, expect, it } from 'vitest'
import { bearerValid, hostAllowed, isLoopback, originAllowed } from '../../src/http/guard.js'

describe('HTTP guards', () => {
  it('accepts loopback Host headers on any port and configured names only', () => {
    for (const host of ['localhost', 'localhost:7800', '127.0.0.1:1', '[::1]:7800', 'LOCALHOST'])
      expect(hostAllowed(host, []), host).toBe(true)
    for (const host of ['evil.example', 'evil.example:7800', '127.0.0.1.evil.example', '', undefined])
      expect(hostAllowed(host, []), String(host)).toBe(false)
    expect(hostAllowed('drift.internal:443', ['drift.internal'])).toBe(true)
  })

  it('accepts a missing Origin, loopback pages and configured origins; refuses others and "null"', () => {
    expect(originAllowed(undefined, [])).toBe(true)
    expect(originAllowed('http://localhost:3000', [])).toBe(true)
    expect(originAllowed('https://127.0.0.1', [])).toBe(true)
    expect(originAllowed('https://evil.example', [])).toBe(false)
    expect(originAllowed('null', [])).toBe(false)
    expect(originAllowed('file://localhost', [])).toBe(false)
    expect(originAllowed('https://vscode.dev', ['https://vscode.dev'])).toBe(true)
    expect(originAllowed('https://vscode.dev:8443', ['https://vscode.dev'])).toBe(false)
  })

  it('on a bind beyond loopback, refuses a missing Origin; accepts the server’s own origin', () => {
    expect(originAllowed(undefined, [], { required: true })).toBe(false)
    expect(
      originAllowed('http://drift.internal:7800', [], { required: true, host: 'drift.internal:7800' }),
    ).toBe(true)
    expect(originAllowed('http://drift.internal', [], { required: true, host: 'drift.internal:80' })).toBe(
      true,
    )
    expect(
      originAllowed('http://evil.example:7800', [], { required: true, host: 'drift.internal:7800' }),
    ).toBe(false)
    expect(originAllowed('ftp://drift.internal:7800', [], { host: 'drift.internal:7800' })).toBe(false)
  })

  it('checks the bearer token exactly', () => {
    expect(bearerValid('Bearer s3cret-token-value', 's3cret-token-value')).toBe(true)
    expect(bearerValid('bearer s3cret-token-value', 's3cret-token-value')).toBe(true)
    expect(bearerValid('Bearer s3cret-token-valu', 's3cret-token-value')).toBe(false)
    expect(bearerValid('Basic s3cret-token-value', 's3cret-token-value')).toBe(false)
    expect(bearerValid(undefined, 's3cret-token-value')).toBe(false)
  })

  it('knows which bind addresses stay on this machine', () => {
    expect(['127.0.0.1', '127.0.0.2', '::1', 'localhost'].every(isLoopback)).toBe(true)
    expect(['0.0.0.0', '::', '192.168.1.5'].some(isLoopback)).toBe(false)
  })
})
