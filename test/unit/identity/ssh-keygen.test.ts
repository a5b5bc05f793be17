import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAllowedSigners, parsePublicKey } from '../../../src/identity/allowed-signers.js'
import { sshFingerprint, sshSign, sshVerify } from '../../../src/identity/ssh-keygen.js'

// The real ssh-keygen, with keys made here.
let dir: string
let signers: string
const NS = 'driftcore-test'

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-ssh-'))
  for (const name of ['alice', 'bob'])
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, name)])
  const pub = async (name: string) => parsePublicKey(await readFile(path.join(dir, `${name}.pub`), 'utf8'))
  signers = path.join(dir, 'allowed_signers')
  await writeFile(
    signers,
    `alice ${await pub('alice')}\nbob valid-before="20200101000000Z" ${await pub('bob')}\n`,
  )
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('ssh-keygen -Y', () => {
  it('verifies a signature and names the principal and the SHA256 fingerprint', async () => {
    const sig = await sshSign('hello\n', { key: path.join(dir, 'alice'), namespace: NS })
    expect(sig).toContain('-----BEGIN SSH SIGNATURE-----')
    const verified = await sshVerify('hello\n', sig, { allowedSigners: signers, namespace: NS })
    expect(verified.principal).toBe('alice')
    expect(verified.fingerprint).toBe(
      await sshFingerprint(await readFile(path.join(dir, 'alice.pub'), 'utf8')),
    )
  })

  it('refuses edited text and another namespace as integrity errors', async () => {
    const sig = await sshSign('hello\n', { key: path.join(dir, 'alice'), namespace: NS })
    await expect(sshVerify('hellO\n', sig, { allowedSigners: signers, namespace: NS })).rejects.toMatchObject(
      {
        code: 'integrity',
      },
    )
    await expect(
      sshVerify('hello\n', sig, { allowedSigners: signers, namespace: 'driftcore-approval' }),
    ).rejects.toMatchObject({ code: 'integrity' })
  })

  it('honours valid-before at the time the signature says it was made', async () => {
    const sig = await sshSign('old\n', { key: path.join(dir, 'bob'), namespace: NS })
    await expect(sshVerify('old\n', sig, { allowedSigners: signers, namespace: NS })).rejects.toMatchObject({
      code: 'integrity',
    })
    const verified = await sshVerify('old\n', sig, {
      allowedSigners: signers,
      namespace: NS,
      at: new Date('2019-06-01T00:00:00Z'),
    })
    expect(verified.principal).toBe('bob')
  })

  it('a public key with no private half (no file beside it, no ssh-agent) is a forbidden error', async () => {
    const lonely = path.join(dir, 'lonely.pub')
    await writeFile(lonely, await readFile(path.join(dir, 'alice.pub')))
    await expect(
      sshSign('x', { key: lonely, namespace: NS, env: { PATH: process.env.PATH } }),
    ).rejects.toMatchObject({ code: 'forbidden', details: { key: lonely } })
  })
})

describe('allowed_signers', () => {
  it('reads principals lists and options, and refuses what is not a public key', () => {
    const entries = parseAllowedSigners('# c\nalice,al namespaces="git" ssh-ed25519 AAAAC3 x\n\n')
    expect(entries).toEqual([
      { principal: 'alice', key: 'ssh-ed25519 AAAAC3', options: 'namespaces="git"' },
      { principal: 'al', key: 'ssh-ed25519 AAAAC3', options: 'namespaces="git"' },
    ])
    expect(() => parsePublicKey('-----BEGIN OPENSSH PRIVATE KEY-----')).toThrow(/not an SSH public key/)
  })
})
