import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { DriftcoreError } from '../errors/driftcore-error.js'

/**
 * People's signatures through the real `ssh-keygen -Y` (OpenSSH's signing, the one git uses
 * with `gpg.format=ssh`): keys in ssh-agent, passphrase-protected keys and FIDO keys (`-sk`,
 * which need a touch) all work the way the person already uses them. argv only, never a shell.
 */

const SSH_KEYGEN = 'ssh-keygen'

export interface SshVerified {
  principal: string
  /** `SHA256:…`, as `ssh-keygen -l` prints it. */
  fingerprint: string
}

interface Run {
  stdout: string
  stderr: string
  exitCode: number
}

async function sshKeygen(args: string[], input: string, env?: NodeJS.ProcessEnv): Promise<Run> {
  const { execa } = await import('execa')
  const result = await execa(SSH_KEYGEN, args, {
    input,
    reject: false,
    env: env ?? process.env,
    extendEnv: false,
    stripFinalNewline: false,
    timeout: 120_000,
  })
  if (result.exitCode === undefined) {
    // It did not start (not installed) or was killed (the timeout).
    const missing = (result as { code?: string }).code === 'ENOENT'
    throw new DriftcoreError(
      missing ? 'unavailable' : 'timeout',
      missing ? 'ssh-keygen is not installed' : `ssh-keygen did not finish: ${result.shortMessage}`,
      {
        hint: 'install the OpenSSH client (Debian/Ubuntu: apt-get install openssh-client)',
        cause: result.cause,
      },
    )
  }
  return { stdout: String(result.stdout), stderr: String(result.stderr), exitCode: result.exitCode }
}

/**
 * Signs `text` with `key`: a private key file (ssh-keygen asks for its passphrase, or for a
 * touch of a FIDO key, on the terminal), or a public key file whose private half is in
 * ssh-agent (SSH_AUTH_SOCK in `env`). Returns the armored `SSH SIGNATURE`.
 */
export async function sshSign(
  text: string,
  opts: { key: string; namespace: string; env?: NodeJS.ProcessEnv },
): Promise<string> {
  const run = await sshKeygen(['-Y', 'sign', '-q', '-f', opts.key, '-n', opts.namespace], text, opts.env)
  if (run.exitCode !== 0 || !run.stdout.includes('-----BEGIN SSH SIGNATURE-----')) {
    throw new DriftcoreError('forbidden', `could not sign with ${opts.key}: ${lastLine(run.stderr)}`, {
      hint:
        'the key must be a private key you can unlock, or a public key (.pub) whose private key is in ssh-agent ' +
        '(ssh-add -l); set it with `driftcore config set approvals.signing_key ~/.ssh/id_ed25519 --layer user`',
      details: { key: opts.key },
    })
  }
  return run.stdout.trim() + '\n'
}

// ssh-keygen reads times as local time unless they end in Z.
function verifyTime(at: Date): string {
  const iso = at.toISOString()
  return iso.slice(0, 19).replace(/[-:T]/g, '') + 'Z'
}

/**
 * Verifies `signature` over `text` against an allowed_signers file (git's format), at the time
 * `at` (default: now), so a key's `valid-after`/`valid-before` apply to when it signed. Returns
 * the principal and the key's fingerprint; anything that does not verify (an unknown key, an
 * expired one, another namespace, edited text) is an integrity error.
 */
export async function sshVerify(
  text: string,
  signature: string,
  opts: {
    allowedSigners: string
    namespace: string
    at?: Date
    /** The file to name in errors. */ label?: string
  },
): Promise<SshVerified> {
  const label = opts.label ?? opts.allowedSigners
  const time = opts.at ? [`-Overify-time=${verifyTime(opts.at)}`] : []
  const dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-sig-'))
  try {
    const sigFile = path.join(dir, 'signature')
    await writeFile(sigFile, signature, { mode: 0o600 })
    const found = await sshKeygen(
      ['-Y', 'find-principals', '-s', sigFile, '-f', opts.allowedSigners, ...time],
      '',
    )
    const principal = found.stdout.split('\n').find((line) => line.trim() !== '')
    if (found.exitCode !== 0 || !principal) {
      throw badSignature(
        `the key that signed it is not in ${label}${opts.at ? ` (at ${opts.at.toISOString()})` : ''}: ${lastLine(found.stderr)}`,
      )
    }
    const verified = await sshKeygen(
      [
        '-Y',
        'verify',
        '-f',
        opts.allowedSigners,
        '-I',
        principal,
        '-n',
        opts.namespace,
        '-s',
        sigFile,
        ...time,
      ],
      text,
    )
    const good = /^Good "[^"]*" signature for (.+) with \S+ key (SHA256:[A-Za-z0-9+/=]+)/m.exec(
      verified.stdout,
    )
    if (verified.exitCode !== 0 || !good || good[1] !== principal) {
      throw badSignature(
        `the signature by ${principal} does not verify for namespace ${opts.namespace}: ${lastLine(verified.stderr || verified.stdout)}`,
      )
    }
    return { principal, fingerprint: good[2]! }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** The `SHA256:…` fingerprint of a public key line (`ssh-ed25519 AAAA… comment`). */
export async function sshFingerprint(publicKey: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-key-'))
  try {
    const file = path.join(dir, 'key.pub')
    await writeFile(file, publicKey.trim() + '\n')
    const run = await sshKeygen(['-l', '-E', 'sha256', '-f', file], '')
    const match = /(SHA256:[A-Za-z0-9+/=]+)/.exec(run.stdout)
    if (run.exitCode !== 0 || !match) {
      throw new DriftcoreError('invalid_input', `not an SSH public key: ${lastLine(run.stderr)}`, {
        hint: "give a public key file (~/.ssh/id_ed25519.pub) or its line ('ssh-ed25519 AAAA…')",
      })
    }
    return match[1]!
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

function badSignature(message: string): DriftcoreError {
  return new DriftcoreError('integrity', message, {
    hint: 'a person signs again with a key listed in .driftcore/allowed_signers (`driftcore approvers list`)',
  })
}

function lastLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .at(-1) ?? 'no reason given'
  )
}
