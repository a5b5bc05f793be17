import type { ApprovalRequest } from '../approvals/approvals.js'
import { APPROVAL_NAMESPACE, approvalStatement } from '../approvals/statement.js'
import type { Actor } from '../audit/record.js'
import { DriftcoreError } from '../errors/driftcore-error.js'
import type { Kernel } from '../kernel/open.js'
import { signDecision, signText } from './signing-key.js'

export interface PersonOptions {
  /** `--key`: the signing key for this command. */
  key?: string | undefined
  env?: NodeJS.ProcessEnv
}

/**
 * How a person's CLI decides an approval: signed with their key whenever the project lists
 * approvers (required then, unless `approvals.require_signature: false`), as before otherwise.
 * DRIFTCORE_ACTOR cannot make anyone else: naming another person than the key's is refused.
 */
export async function decideAsPerson(
  kernel: Pick<Kernel, 'approvals' | 'approvers' | 'config'>,
  id: string,
  actor: Actor,
  verdict: 'approved' | 'denied',
  comment: string | undefined,
  options: PersonOptions = {},
): Promise<ApprovalRequest> {
  const env = options.env ?? process.env
  const state = await kernel.approvers.inForce()
  const required = await kernel.approvals.signingRequired()
  if (state.entries.length === 0 && !options.key) {
    return kernel.approvals.decide(id, actor, verdict, comment)
  }
  const request = await kernel.approvals.get(id)
  let signed
  try {
    signed = await signDecision(request, verdict, comment || undefined, {
      config: kernel.config.values,
      env,
      key: options.key,
      allowedSigners: state.recorded?.text,
    })
  } catch (error) {
    // Signing is optional only where the project says so.
    if (!required && error instanceof DriftcoreError && error.code === 'forbidden' && !options.key)
      return kernel.approvals.decide(id, actor, verdict, comment)
    throw error
  }
  const { principal } = await kernel.approvers.verify(
    approvalStatement(request, verdict, comment || undefined, signed.at),
    signed,
    APPROVAL_NAMESPACE,
  )
  assertSameActor(env, principal)
  return kernel.approvals.decide(id, actor, verdict, comment, signed)
}

/** Signs an approvers change when approvers exist (the first one is trusted on first use). */
export async function signAsPerson(
  kernel: Pick<Kernel, 'config'>,
  text: string,
  namespace: string,
  allowedSigners: string,
  options: PersonOptions = {},
): Promise<string> {
  return signText(text, namespace, {
    config: kernel.config.values,
    env: options.env ?? process.env,
    key: options.key,
    allowedSigners,
  })
}

/** DRIFTCORE_ACTOR may say who you are, never someone else: it must be the key's principal. */
export function assertSameActor(env: NodeJS.ProcessEnv, principal: string): void {
  const declared = env.DRIFTCORE_ACTOR
  if (declared && declared !== `human:${principal}`) {
    throw new DriftcoreError(
      'forbidden',
      `DRIFTCORE_ACTOR says ${declared}, but the key that signed is ${principal}'s: a person decides only as themselves`,
      {
        hint: `unset DRIFTCORE_ACTOR (your key says who you are), or sign with ${declared.replace(/^human:/, '')}'s own key`,
      },
    )
  }
}
