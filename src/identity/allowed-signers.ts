import { DriftcoreError } from '../errors/driftcore-error.js'

/**
 * `.driftcore/allowed_signers` in git's format (`ssh-keygen -Y verify -f`): one line per key,
 * `principals [options] keytype base64 [comment]`. driftcore writes it (`driftcore approvers
 * add|remove`) with one principal a line and no options.
 */

export interface SignerEntry {
  principal: string
  /** `keytype base64`, without the comment. */
  key: string
  /** Options such as valid-before="…" (kept when the file has them). */
  options?: string
}

const KEY_TYPES =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)$/

/** A principal driftcore accepts: a plain name (no globs, commas or spaces: one key, one person). */
export const PRINCIPAL = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$/

export const HEADER =
  '# driftcore approvers (git allowed_signers format). Change with `driftcore approvers add|remove`:\n' +
  '# a hand edit is refused where an approval is used, and by `driftcore audit verify`.\n'

/** `keytype base64` from a public key line (`ssh-ed25519 AAAA… comment`), or an error naming it. */
export function parsePublicKey(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
  const words = lines.length === 1 ? lines[0]!.split(/\s+/) : []
  if (words.length < 2 || !KEY_TYPES.test(words[0]!) || !/^[A-Za-z0-9+/]+=*$/.test(words[1]!)) {
    throw new DriftcoreError('invalid_input', 'not an SSH public key (one line: keytype base64 [comment])', {
      hint: "give the .pub file (--key ~/.ssh/id_ed25519.pub) or its line (--key 'ssh-ed25519 AAAA…')",
    })
  }
  return `${words[0]} ${words[1]}`
}

export function parseAllowedSigners(text: string): SignerEntry[] {
  const entries: SignerEntry[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const words = line.split(/\s+/)
    const at = words.findIndex((w, i) => i > 0 && KEY_TYPES.test(w))
    if (at < 1 || words[at + 1] === undefined) continue
    const options = words.slice(1, at).join(' ')
    for (const principal of words[0]!.split(',')) {
      entries.push({ principal, key: `${words[at]} ${words[at + 1]}`, ...(options ? { options } : {}) })
    }
  }
  return entries
}

export function formatAllowedSigners(entries: readonly SignerEntry[]): string {
  return HEADER + entries.map((e) => `${e.principal}${e.options ? ` ${e.options}` : ''} ${e.key}\n`).join('')
}
