import { readFile } from 'node:fs/promises'
import { yamlLib } from '../store/yaml-lib.js'
import type { ApprovalRequest } from '../approvals/approvals.js'
import type { SignedDecision } from '../approvals/statement.js'
import { userConfigFile } from '../config/effective.js'
import { DriftcoreError } from '../errors/driftcore-error.js'
import type { ControlClient } from './client.js'

export interface RemoteSigning {
  /** `--key`. */
  key?: string | undefined
  /** oclif's config dir: the user config there names `approvals.signing_key`. */
  configDir: string
  env?: NodeJS.ProcessEnv
}

/**
 * A person's decision over the control API. The request is fetched from the server, the
 * decision signed here with the person's key (`--key`, `approvals.signing_key` in the user
 * config, or ssh-agent), and sent with its signature for the server to verify against the
 * project's allowed_signers: the server never holds anyone's private key. With no key at all
 * the decision goes unsigned, and the server refuses it where the project requires signatures.
 */
export async function decideRemotely(
  client: ControlClient,
  id: string,
  verdict: 'approved' | 'denied',
  comment: string | undefined,
  signing: RemoteSigning,
): Promise<{ approval: ApprovalRequest }> {
  const route = `/approvals/${encodeURIComponent(id)}`
  const request = await client.get<ApprovalRequest>(route)
  const signed = await sign(request, verdict, comment || undefined, signing)
  return client.post<{ approval: ApprovalRequest }>(`${route}/decision`, {
    verdict,
    ...(comment ? { comment } : {}),
    ...signed,
  })
}

async function sign(
  request: ApprovalRequest,
  verdict: 'approved' | 'denied',
  comment: string | undefined,
  signing: RemoteSigning,
): Promise<SignedDecision | undefined> {
  const env = signing.env ?? process.env
  const { signDecision } = await import('../identity/signing-key.js')
  const signingKey = await userSigningKey(signing.configDir, env)
  try {
    return await signDecision(request, verdict, comment, {
      config: { approvals: { signing_key: signingKey } },
      env,
      key: signing.key,
    })
  } catch (error) {
    // No key anywhere: the server says whether this project accepts that.
    if (error instanceof DriftcoreError && error.code === 'forbidden' && !signing.key && !signingKey)
      return undefined
    throw error
  }
}

async function userSigningKey(configDir: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const file = userConfigFile(configDir, env)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    return undefined
  }
  const value = (yamlLib().parse(text) as { approvals?: { signing_key?: unknown } } | null)?.approvals
    ?.signing_key
  return typeof value === 'string' ? value : undefined
}
