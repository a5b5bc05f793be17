import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { writeFileAtomic } from '../store/atomic-write.js'
import { withFileLock } from '../store/file-lock.js'

/** The file in `.driftcore/state/` that holds the people's control-API tokens, hashed. */
export const TOKENS_FILE = 'control-tokens.json'
/** Person tokens start with this, so one pasted in the wrong place is recognisable (and greppable). */
export const TOKEN_PREFIX = 'dcp_'
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/

interface StoredToken {
  /** sha256 of the whole token, hex. */
  sha256: string
  created_at: string
}

interface TokensDoc {
  version: 1
  tokens: Record<string, StoredToken>
}

export interface TokenInfo {
  name: string
  created_at: string
}

/**
 * People's tokens for the control API. Only a hash is stored: a token is 32 random bytes, so
 * a fast hash loses nothing to guessing (scrypt earns its cost only for passwords people
 * choose), and every request can check it without a deliberate slowdown. Checks hash the
 * presented token and compare it with every stored hash in constant time, so neither timing
 * nor an early exit tells which name or prefix was close.
 */
export class PersonTokens {
  readonly file: string

  constructor(stateDir: string) {
    this.file = path.join(stateDir, TOKENS_FILE)
  }

  /** Creates a token for `name` and returns it: the only time it is ever shown. */
  async add(name: string): Promise<{ name: string; token: string; created_at: string }> {
    checkName(name)
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`
    const created_at = new Date().toISOString()
    await this.update((doc) => {
      if (doc.tokens[name]) {
        throw new DriftcoreError('conflict', `a control token named ${name} already exists`, {
          hint: `remove it first: driftcore serve tokens remove ${name}`,
        })
      }
      doc.tokens[name] = { sha256: digest(token).toString('hex'), created_at }
    })
    return { name, token, created_at }
  }

  async list(): Promise<TokenInfo[]> {
    const doc = await this.read()
    return Object.entries(doc.tokens)
      .map(([name, t]) => ({ name, created_at: t.created_at }))
      .sort((a, b) => a.name.localeCompare(b.name))
  }

  async remove(name: string): Promise<void> {
    await this.update((doc) => {
      if (!doc.tokens[name])
        throw new DriftcoreError('not_found', `no control token named ${name}`, {
          hint: 'see them with: driftcore serve tokens list',
        })
      delete doc.tokens[name]
    })
  }

  /** The name of the person whose token this is, or undefined. Read afresh: removal is immediate. */
  async identify(token: string): Promise<string | undefined> {
    const presented = digest(token)
    let found: string | undefined
    for (const [name, stored] of Object.entries((await this.read()).tokens)) {
      const hash = Buffer.from(stored.sha256, 'hex')
      if (hash.length === presented.length && timingSafeEqual(hash, presented)) found ??= name
    }
    return found
  }

  private async read(): Promise<TokensDoc> {
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, tokens: {} }
      throw error
    }
    try {
      const doc = JSON.parse(text) as TokensDoc
      if (doc.version !== 1 || typeof doc.tokens !== 'object' || doc.tokens === null)
        throw new Error('bad shape')
      return doc
    } catch (error) {
      throw new DriftcoreError('integrity', `${this.file} is not a control token file`, {
        hint: 'restore it from a backup, or delete it and add the tokens again',
        cause: error,
      })
    }
  }

  private async update(change: (doc: TokensDoc) => void): Promise<void> {
    await withFileLock(this.file, async () => {
      const doc = await this.read()
      change(doc)
      await writeFileAtomic(this.file, JSON.stringify(doc, null, 2) + '\n', { mode: 0o600 })
    })
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest()
}

function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw new DriftcoreError('invalid_input', `"${name}" is not a token name`, {
      hint: 'use letters, digits and . _ @ + - (up to 64): the person’s principal in allowed_signers, e.g. alice or alice@example.com',
    })
  }
}
