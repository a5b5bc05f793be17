import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { ApprovalRequest } from '../approvals/approvals.js'
import { APPROVAL_NAMESPACE, approvalStatement, type SignedDecision } from '../approvals/statement.js'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { parseAllowedSigners } from './allowed-signers.js'
import { sshSign } from './ssh-keygen.js'

/** What finding a person's key needs: the user config's `approvals.signing_key`, the env (ssh-agent). */
export interface SigningKeyOptions {
  config: { approvals?: { signing_key?: string | undefined } }
  env?: NodeJS.ProcessEnv
  /** A key given on the command line (`--key`): wins over the config. */
  key?: string | undefined
  /** The allowed_signers text in force: the ssh-agent key chosen is the first one it lists. */
  allowedSigners?: string | undefined
}

export const SETUP_HINT =
  'set up a key: `ssh-keygen -t ed25519-sk` (a FIDO key: each signature needs a touch no agent can give) ' +
  'or use an existing one; add it with `driftcore approvers add NAME --key ~/.ssh/id_ed25519.pub`, then point ' +
  '`driftcore config set approvals.signing_key ~/.ssh/id_ed25519 --layer user` at it (or load it in ssh-agent)'

/** Signs a decision with the person's key. The server never holds it: the person's CLI signs. */
export async function signDecision(
  request: ApprovalRequest,
  verdict: 'approved' | 'denied',
  comment: string | undefined,
  opts: SigningKeyOptions,
): Promise<SignedDecision> {
  const at = new Date().toISOString()
  const signature = await signText(approvalStatement(request, verdict, comment, at), APPROVAL_NAMESPACE, opts)
  return { at, signature }
}

/**
 * Signs `text` with the person's key: `--key`, else `approvals.signing_key` (a private key, or
 * a .pub whose key is in ssh-agent), else the first ssh-agent key listed in allowed_signers.
 */
export async function signText(text: string, namespace: string, opts: SigningKeyOptions): Promise<string> {
  const env = opts.env ?? process.env
  const configured = opts.key ?? opts.config.approvals?.signing_key
  if (configured) return sshSign(text, { key: expandHome(configured, env), namespace, env })
  const key = await agentKey(env, opts.allowedSigners)
  const dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-agentkey-'))
  try {
    const file = path.join(dir, 'key.pub')
    await writeFile(file, key + '\n', { mode: 0o600 })
    return await sshSign(text, { key: file, namespace, env })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

// The first key in ssh-agent that allowed_signers lists (any, when none is given).
async function agentKey(env: NodeJS.ProcessEnv, allowedSigners: string | undefined): Promise<string> {
  if (!env.SSH_AUTH_SOCK) {
    throw new DriftcoreError(
      'forbidden',
      'no signing key: approvals.signing_key is not set and ssh-agent is not running',
      {
        hint: SETUP_HINT,
      },
    )
  }
  const { execa } = await import('execa')
  const listed = await execa('ssh-add', ['-L'], { env, extendEnv: false, reject: false, timeout: 30_000 })
  const keys = listed.exitCode === 0 ? listed.stdout.split('\n').filter((l) => /^\S+ \S+/.test(l)) : []
  const allowed =
    allowedSigners === undefined ? undefined : new Set(parseAllowedSigners(allowedSigners).map((e) => e.key))
  const key = keys.find((line) => {
    const [type, blob] = line.split(/\s+/)
    return allowed === undefined || allowed.has(`${type} ${blob}`)
  })
  if (!key) {
    throw new DriftcoreError(
      'forbidden',
      keys.length === 0
        ? 'no signing key: approvals.signing_key is not set and ssh-agent holds no key'
        : 'no signing key: none of the keys in ssh-agent is listed in .driftcore/allowed_signers',
      { hint: SETUP_HINT },
    )
  }
  return key
}

function expandHome(file: string, env: NodeJS.ProcessEnv): string {
  if (file === '~' || file.startsWith('~/')) return path.join(env.HOME ?? os.homedir(), file.slice(1))
  return path.resolve(file)
}
