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

  it('masks a registered value in its common encodings, base64 at any alignment', () => {
    const secret = 'n0t-a/sh"ape+ish'
    const r = new Redactor()
    r.register(secret)
    const b64 = (text: string) => Buffer.from(text).toString('base64')
    const carriers = [
      encodeURIComponent(secret),
      encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()),
      JSON.stringify({ k: secret }),
      JSON.stringify(JSON.stringify({ k: secret })),
      Buffer.from(secret).toString('hex'),
      Buffer.from(secret).toString('hex').toUpperCase(),
      b64(secret),
      Buffer.from(secret).toString('base64url'),
      ...['', 'a', 'ab', 'abc'].map((prefix) => b64(`${prefix}${secret}:tail`)),
    ]
    for (const carrier of carriers) {
      const out = r.redactText(carrier)
      expect(out, carrier).toContain('[REDACTED]')
      expect(out.length, carrier).toBeLessThan(carrier.length)
    }
    // Ordinary base64 and hex text stays as it is.
    for (const text of [b64('an ordinary sentence of text'), 'ab'.repeat(32)])
      expect(r.redactText(text)).toBe(text)
  })
})
