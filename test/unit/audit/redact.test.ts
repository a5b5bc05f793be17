import { describe, expect, it } from 'vitest'
import { Redactor } from '../../../src/audit/redact.js'

describe('the redactor', () => {
  it('masks every secret shape it knows, in any letter case', () => {
    const r = new Redactor()
    const cases = [
      '-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----',
      'https://user:hunter2@example.com/x',
      'ghp_abcdefghijklmnopqrstuvwxyz0123',
      'glpat-abcdefghijklmnopqrstuv',
      'xoxb-1234567890-abcdef',
      'AKIAABCDEFGHIJKLMNOP',
      'sk-abcdefghijklmnopqrstuvwxyz',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijklmnop',
      'Authorization: Bearer abcdefghijklmnopqrstuvwxyz',
      'BEARER abcdefghijklmnopqrstuvwxyz',
      '{"Password":"hunter2"}',
      'DB_PASSWD=hunter2',
      'pwd: hunter2',
      'client_secret=hunter2',
      'API-KEY=hunter2',
      'access_key: hunter2',
    ]
    for (const text of cases) expect(r.redactText(text), text).toContain('[REDACTED]')
  })

  it('leaves ordinary strings as they are and still masks registered values in them', () => {
    const r = new Redactor()
    const plain = ['run_20260101_000000_ab12cd', 'a'.repeat(64), '2026-01-01T00:00:00.000Z', 'hello world']
    for (const text of plain) expect(r.redactText(text)).toBe(text)
    r.register('plainvalue42')
    expect(r.redactText('x plainvalue42 y')).toBe('x [REDACTED] y')
  })
})
