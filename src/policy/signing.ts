import { createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { writeFileAtomic } from '../store/atomic-write.js'
import { sha256 } from '../store/hash.js'

/** A bundle's signature sits beside it: `name.yaml.sig`, the base64 ed25519 signature of its bytes. */
export function signatureFile(bundleFile: string): string {
  return `${bundleFile}.sig`
}

export function fingerprint(key: KeyObject): string {
  return sha256(key.export({ type: 'spki', format: 'der' })).slice(0, 16)
}

export async function generateKeyPair(
  outPrefix: string,
): Promise<{ privateKey: string; publicKey: string; fingerprint: string }> {
  const pair = generateKeyPairSync('ed25519')
  const privateKey = `${outPrefix}.key`
  const publicKey = `${outPrefix}.pub`
  await writeFileAtomic(privateKey, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 })
  await writeFileAtomic(publicKey, pair.publicKey.export({ type: 'spki', format: 'pem' }))
  return { privateKey, publicKey, fingerprint: fingerprint(pair.publicKey) }
}

export async function signBundle(bundleFile: string, privateKeyFile: string): Promise<string> {
  const key = await readFile(privateKeyFile, 'utf8')
  const signature = sign(null, await readFile(bundleFile), key).toString('base64')
  await writeFileAtomic(signatureFile(bundleFile), signature + '\n')
  return signatureFile(bundleFile)
}

/** Trusted keys come from config: PEM files relative to the project, or PEM text inline. */
export async function loadTrustedKeys(entries: readonly string[], root: string): Promise<KeyObject[]> {
  return Promise.all(
    entries.map(async (entry) => {
      const pem = entry.includes('-----BEGIN') ? entry : await readKeyFile(path.resolve(root, entry))
      try {
        return createPublicKey(pem)
      } catch (error) {
        throw new DriftcoreError(
          'invalid_input',
          `policy.trusted_keys entry "${entry.slice(0, 60)}" is not a public key`,
          {
            cause: error,
          },
        )
      }
    }),
  )
}

async function readKeyFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    throw new DriftcoreError('not_found', `trusted key ${file} cannot be read`, {
      hint: 'fix policy.trusted_keys, or create the key with `driftcore policy keygen`',
      cause: error,
    })
  }
}

/**
 * Returns the fingerprint of the trusted key that signed `bytes`, or throws `integrity`
 * naming the bundle when it is unsigned or no trusted key verifies it.
 */
export function verifySignature(
  bundleFile: string,
  bytes: Buffer,
  signature: string | undefined,
  keys: KeyObject[],
): string {
  if (signature === undefined) {
    throw new DriftcoreError(
      'integrity',
      `${bundleFile} is not signed, and policy.trusted_keys requires signed bundles`,
      {
        hint: `sign it: driftcore policy sign ${bundleFile} --key PRIVATE_KEY`,
      },
    )
  }
  const raw = Buffer.from(signature.trim(), 'base64')
  const key = keys.find((k) => verify(null, bytes, k, raw))
  if (!key) {
    throw new DriftcoreError('integrity', `${bundleFile} has a bad signature: no trusted key verifies it`, {
      hint: 'the bundle changed after signing, or it was signed with a key that is not in policy.trusted_keys',
    })
  }
  return fingerprint(key)
}
