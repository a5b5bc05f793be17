import { readFile } from 'node:fs/promises'
import type { Kernel } from '../kernel/open.js'
import { APPROVERS_NAMESPACE, approversStatement, type ApproversChange } from './approvers.js'
import { signAsPerson, type PersonOptions } from './person.js'

/**
 * The input of `approvers.add|remove` as a person's CLI builds it: once approvers exist, the
 * change is signed with the person's key over the file it applies to.
 */
export async function approversChangeInput(
  kernel: Pick<Kernel, 'approvers' | 'config'>,
  change: Omit<ApproversChange, 'signed'>,
  options: PersonOptions,
): Promise<Record<string, unknown>> {
  const state = await kernel.approvers.inForce()
  const input: Record<string, unknown> = { name: change.name, ...(change.key ? { key: change.key } : {}) }
  if (state.entries.length === 0) return input
  const at = new Date().toISOString()
  const signature = await signAsPerson(
    kernel,
    approversStatement(change, state.recorded!.hash, at),
    APPROVERS_NAMESPACE,
    state.recorded!.text,
    options,
  )
  return { ...input, signed: { at, signature } }
}

/** `--key` of `approvers add`: a public key file, or the key line itself. */
export async function readPublicKeyArg(value: string): Promise<string> {
  if (/^(ssh-|ecdsa-|sk-)\S+ \S+/.test(value.trim())) return value.trim()
  return (await readFile(value, 'utf8')).trim()
}
