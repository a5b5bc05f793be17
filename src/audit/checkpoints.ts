import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto'
import { access, appendFile, mkdir, open, readFile } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { sha256 } from '../store/hash.js'

/** A signed statement that the audit chain once reached `seq` with the record hash `hash`. */
export interface Checkpoint {
  seq: number
  hash: string
  at: string
  /** Fingerprint of the ed25519 key that signed it. */
  key: string
  /** Base64 ed25519 signature of `statement(seq, hash, at)`; an armored SSH signature for `format: ssh`. */
  sig: string
  /** `ssh`: signed with a person's SSH key (`key` is its SHA256 fingerprint), verified with allowed_signers. */
  format?: 'ssh'
  /** `format: ssh`: the principal whose key signed it. */
  principal?: string
}

/** The SSH signature namespace of checkpoints signed with a person's key. */
export const CHECKPOINT_NAMESPACE = 'driftcore-audit-checkpoint'

/** Where checkpoints are kept and signed. The public key is what `audit verify` trusts. */
export interface CheckpointSettings {
  /** JSON lines, one checkpoint each; kept outside `audit/`, so deleting the log leaves them. */
  file: string
  privateKeyFile: string
  publicKeyFile: string
  /** A checkpoint is written automatically each time the chain passes a multiple of this (0: never). */
  every: number
}

// A versioned, line-based text, so a signature can never be read as one over something else.
export function checkpointStatement(seq: number, hash: string, at: string): string {
  return statement(seq, hash, at).toString()
}

function statement(seq: number, hash: string, at: string): Buffer {
  return Buffer.from(`driftcore-audit-checkpoint/v1\nseq ${seq}\nhash ${hash}\nat ${at}\n`)
}

export function keyFingerprint(key: KeyObject): string {
  return sha256(key.export({ type: 'spki', format: 'der' })).slice(0, 16)
}

/**
 * The project's checkpoint signing key, created on first use (private key mode 0600, beside it
 * the public key `audit verify` checks against). Kept once loaded: a process signs many.
 */
export class CheckpointSigner {
  private key: { privateKey: KeyObject; fingerprint: string } | undefined

  constructor(private readonly settings: CheckpointSettings) {}

  async sign(seq: number, hash: string, at = new Date().toISOString()): Promise<Checkpoint> {
    const { privateKey, fingerprint } = (this.key ??= await this.load())
    return {
      seq,
      hash,
      at,
      key: fingerprint,
      sig: sign(null, statement(seq, hash, at), privateKey).toString('base64'),
    }
  }

  async append(checkpoint: Checkpoint): Promise<void> {
    await mkdir(path.dirname(this.settings.file), { recursive: true })
    const handle = await open(this.settings.file, 'a', 0o600)
    try {
      await handle.write(JSON.stringify(checkpoint) + '\n')
      await handle.datasync()
    } finally {
      await handle.close()
    }
  }

  private async load(): Promise<{ privateKey: KeyObject; fingerprint: string }> {
    const { privateKeyFile, publicKeyFile } = this.settings
    let pem: string
    try {
      pem = await readFile(privateKeyFile, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      if (await exists(publicKeyFile)) {
        // A public key without its private key: making a new pair would silently replace the
        // key every earlier checkpoint was signed with.
        throw new DriftcoreError(
          'integrity',
          `audit checkpoint key ${privateKeyFile} is missing while ${publicKeyFile} exists`,
          { hint: 'restore the private key, or point audit.checkpoint_key at it' },
        )
      }
      return this.create()
    }
    const privateKey = createPrivateKey(pem)
    return { privateKey, fingerprint: keyFingerprint(createPublicKey(privateKey)) }
  }

  private async create(): Promise<{ privateKey: KeyObject; fingerprint: string }> {
    const { privateKeyFile, publicKeyFile } = this.settings
    const pair = generateKeyPairSync('ed25519')
    await mkdir(path.dirname(privateKeyFile), { recursive: true })
    await mkdir(path.dirname(publicKeyFile), { recursive: true })
    // 'wx': two processes creating the key at once must not end up with two keys.
    try {
      await appendFileExclusive(
        privateKeyFile,
        pair.privateKey.export({ type: 'pkcs8', format: 'pem' }),
        0o600,
      )
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return this.load()
      throw error
    }
    await appendFile(publicKeyFile, pair.publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 })
    return { privateKey: pair.privateKey, fingerprint: keyFingerprint(pair.publicKey) }
  }
}

async function appendFileExclusive(file: string, text: string | Buffer, mode: number): Promise<void> {
  const handle = await open(file, 'wx', mode)
  try {
    await handle.writeFile(text)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  )
}

/** Every checkpoint in `file`, in order; a line that is not one is an integrity error naming it. */
export async function readCheckpoints(file: string): Promise<Checkpoint[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  return parseCheckpoints(text, file)
}

/**
 * Checkpoints from an anchor or checkpoint file: JSON lines, or one JSON document (what
 * `audit checkpoint --json` prints).
 */
export function parseCheckpoints(text: string, file: string): Checkpoint[] {
  const trimmed = text.trim()
  if (trimmed === '') return []
  const docs: unknown[] = []
  try {
    docs.push(JSON.parse(trimmed))
  } catch {
    for (const [i, line] of text.split('\n').entries()) {
      if (line.trim() === '') continue
      try {
        docs.push(JSON.parse(line))
      } catch {
        throw new DriftcoreError('integrity', `${file}:${i + 1}: not a checkpoint (not JSON)`)
      }
    }
  }
  return docs.map((doc, i) => {
    const c = (doc as { checkpoint?: unknown }).checkpoint ?? doc
    if (!isCheckpointLike(c)) {
      throw new DriftcoreError(
        'integrity',
        `${file}: entry ${i + 1} is not a checkpoint (needs seq and hash)`,
      )
    }
    return c
  })
}

function isCheckpointLike(value: unknown): value is Checkpoint {
  const c = value as Partial<Checkpoint> | null
  return (
    c !== null &&
    typeof c === 'object' &&
    Number.isInteger(c.seq) &&
    (c.seq ?? 0) > 0 &&
    typeof c.hash === 'string' &&
    /^[0-9a-f]{64}$/.test(c.hash)
  )
}

export async function readPublicKey(file: string): Promise<KeyObject | undefined> {
  let pem: string
  try {
    pem = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  try {
    return createPublicKey(pem)
  } catch (error) {
    throw new DriftcoreError('integrity', `${file} is not a public key`, { cause: error })
  }
}

/** Why a checkpoint's signature does not hold under `key`, or undefined when it does. */
export function signatureProblem(checkpoint: Checkpoint, key: KeyObject | undefined): string | undefined {
  if (typeof checkpoint.sig !== 'string' || typeof checkpoint.at !== 'string') return 'it is not signed'
  if (!key) return 'no public key to check its signature against'
  const fingerprint = keyFingerprint(key)
  if (checkpoint.key !== fingerprint)
    return `it was signed by key ${String(checkpoint.key)}, not the project's key ${fingerprint}`
  const ok = verify(
    null,
    statement(checkpoint.seq, checkpoint.hash, checkpoint.at),
    key,
    Buffer.from(checkpoint.sig, 'base64'),
  )
  return ok ? undefined : 'its signature does not verify: it was edited or forged'
}
