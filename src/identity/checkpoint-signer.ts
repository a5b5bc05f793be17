import { CHECKPOINT_NAMESPACE, checkpointStatement, type Checkpoint } from '../audit/checkpoints.js'
import { DriftcoreError } from '../errors/driftcore-error.js'
import type { Kernel } from '../kernel/open.js'
import { signText } from './signing-key.js'

/**
 * The person's checkpoint signer, when they have a key: `--key` or `approvals.signing_key`
 * (then it must work and be listed), else an ssh-agent key listed in allowed_signers (when
 * there is none, the project key signs, as automatic checkpoints do).
 */
export async function personCheckpointSigner(
  kernel: Pick<Kernel, 'approvers' | 'config'>,
  options: { key?: string | undefined; env?: NodeJS.ProcessEnv },
): Promise<((seq: number, hash: string, at: string) => Promise<Checkpoint>) | undefined> {
  const env = options.env ?? process.env
  const state = await kernel.approvers.inForce()
  const explicit = Boolean(options.key ?? kernel.config.values.approvals.signing_key)
  if (!explicit && (state.entries.length === 0 || !env.SSH_AUTH_SOCK)) return undefined
  const opts = {
    config: kernel.config.values,
    env,
    key: options.key,
    ...(state.recorded ? { allowedSigners: state.recorded.text } : {}),
  }
  return async (seq, hash, at) => {
    const text = checkpointStatement(seq, hash, at)
    let sig: string
    try {
      sig = await signText(text, CHECKPOINT_NAMESPACE, opts)
    } catch (error) {
      if (!explicit && error instanceof DriftcoreError && error.code === 'forbidden') {
        throw new DriftcoreError(
          'forbidden',
          `no listed key in ssh-agent to sign the checkpoint: ${error.message}`,
          {
            hint: 'pass --key, or --project-key to sign with the project key',
          },
        )
      }
      throw error
    }
    const verified = await kernel.approvers
      .verify(text, { at, signature: sig }, CHECKPOINT_NAMESPACE)
      .catch((error: unknown) => {
        throw new DriftcoreError(
          'forbidden',
          `the key that signed the checkpoint is not an approver: ${(error as Error).message}`,
          {
            hint: 'add it first: driftcore approvers add NAME --key FILE.pub',
          },
        )
      })
    return { seq, hash, at, key: verified.fingerprint, sig, format: 'ssh', principal: verified.principal }
  }
}
