import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REDACTED, Redactor } from '../../../src/audit/redact.js'
import { createSecretResolver, registerConfigSecrets } from '../../../src/secrets/resolve.js'

describe('the redactor', () => {
  it.each([
    ['a GitHub token', 'token ghp_0123456789abcdefghijABCDEFGHIJ012345 ok', 'ghp_'],
    ['an AWS key id', 'key AKIAABCDEFGHIJKLMNOP', 'AKIAABCD'],
    ['a password in a DSN', 'mysql://drupal:s3cretpw@db:3306/drupal', 's3cretpw'],
    ['a bearer header', 'Authorization: Bearer abcdef0123456789abcdef', 'abcdef0123456789'],
    ['a password assignment', 'DB_PASSWORD=hunter2hunter2', 'hunter2'],
    ['a JSON password field', '{"db-password": "correct horse"}', 'correct horse'],
    [
      'a private key',
      '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\ndef\n-----END OPENSSH PRIVATE KEY-----',
      'abc\ndef',
    ],
    [
      'a JWT',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      'eyJzdWIi',
    ],
  ])('masks %s in text', (_name, text, secret) => {
    const out = new Redactor().redactText(text)
    expect(out).not.toContain(secret)
    expect(out).toContain(REDACTED)
  })

  it('masks values under sensitive keys in structured data but keeps secret references', () => {
    const out = new Redactor().redact({
      'db-password': 'x1',
      api_key: 'k',
      token: 'secret://env/T',
      nested: [{ client_secret: 'c' }],
      port: 3306,
      name: 'site',
    })
    expect(out).toEqual({
      'db-password': REDACTED,
      api_key: REDACTED,
      token: 'secret://env/T',
      nested: [{ client_secret: REDACTED }],
      port: 3306,
      name: 'site',
    })
  })

  it('masks a registered value of any shape, and its URL-encoded form', () => {
    const r = new Redactor()
    r.register('pa ss/wörd')
    expect(r.redactText('x pa ss/wörd y pa%20ss%2Fw%C3%B6rd z')).toBe(`x ${REDACTED} y ${REDACTED} z`)
  })

  it('applies extra patterns from config', () => {
    expect(new Redactor({ extraPatterns: ['INTERNAL-\\d{6}'] }).redactText('ticket INTERNAL-123456')).toBe(
      `ticket ${REDACTED}`,
    )
  })
})

describe('secret references', () => {
  it('resolve from env and from files (plain, dotenv, JSON, YAML), registering the value', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'driftcore-secrets-'))
    try {
      await writeFile(path.join(root, 'plain'), 'plain-value-1\n')
      await writeFile(path.join(root, '.env'), 'export DB_PASS="dotenv-value-2"\nOTHER=x\n')
      await writeFile(path.join(root, 'creds.json'), '{"gitea": {"token": "json-value-3"}}')
      await writeFile(path.join(root, 'creds.yaml'), 'mcp:\n  token: yaml-value-4\n')
      const redactor = new Redactor()
      const secrets = createSecretResolver({ root, env: { T: 'env-value-0' }, redactor })
      expect(await secrets.resolve('secret://env/T')).toBe('env-value-0')
      expect(await secrets.resolve('secret://file/plain')).toBe('plain-value-1')
      expect(await secrets.resolve('secret://file/.env#DB_PASS')).toBe('dotenv-value-2')
      expect(await secrets.resolve('secret://file/creds.json#gitea.token')).toBe('json-value-3')
      expect(await secrets.resolve('secret://file/creds.yaml#mcp.token')).toBe('yaml-value-4')
      expect(redactor.redactText('env-value-0 dotenv-value-2 yaml-value-4')).toBe(
        `${REDACTED} ${REDACTED} ${REDACTED}`,
      )
      await expect(secrets.resolve('secret://file/creds.json#gitea.nope')).rejects.toMatchObject({
        code: 'not_found',
        message: expect.stringContaining('has no key "gitea.nope"'),
      })
      await expect(secrets.resolve('secret://file/missing')).rejects.toMatchObject({ code: 'not_found' })
      await expect(secrets.resolve('env/T')).rejects.toMatchObject({ code: 'invalid_input' })
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })

  it('registers every secret the config refers to, in core and plugin sections, and lists those that do not resolve', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'driftcore-config-secrets-'))
    try {
      await writeFile(path.join(root, 'keys.env'), 'DEPLOY=fromAfile77\n')
      await writeFile(path.join(root, 'big.env'), 'x'.repeat(1024 * 1024 + 1))
      const redactor = new Redactor()
      const resolver = createSecretResolver({ root, env: { HOOK: 'fromTheEnv42' }, redactor })
      const unresolved = await registerConfigSecrets(
        {
          workflow: { notify: { sinks: { a: { secret: 'secret://env/HOOK' } } } },
          gitea: { tokens: ['secret://file/keys.env#DEPLOY', 'secret://env/UNSET', 'secret://file/big.env'] },
        },
        resolver,
      )
      expect(unresolved.map((u) => u.ref)).toEqual(['secret://env/UNSET', 'secret://file/big.env'])
      expect(unresolved[1]?.reason).toMatch(/regular file of at most 1 MiB/)
      expect(redactor.redactText('fromTheEnv42 fromAfile77')).toBe(`${REDACTED} ${REDACTED}`)
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})
