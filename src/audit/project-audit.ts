import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { ApprovalStore } from '../approvals/store.js'
import type { ProjectPaths } from '../store/paths.js'
import { lastApproversRecord, verifyWith } from '../identity/approvers.js'
import {
  CHECKPOINT_NAMESPACE,
  checkpointStatement,
  parseCheckpoints,
  readCheckpoints,
  readPublicKey,
  type Checkpoint,
  type CheckpointSettings,
} from './checkpoints.js'
import { verifyAudit, type AuditVerification, type VerifyOptions } from './verify.js'

/** The `audit:` config keys checkpoints use. */
export interface CheckpointConfig {
  checkpoint_every: number
  checkpoint_key?: string | undefined
  checkpoint_public_key?: string | undefined
}

/**
 * Where a project's checkpoints and their key live. The checkpoints sit beside `audit/`, not in
 * it, so deleting the log leaves the proof that it existed; the key defaults to
 * `.driftcore/keys/` and can live anywhere the agent cannot read (`audit.checkpoint_key`).
 */
export function checkpointSettings(paths: ProjectPaths, audit: CheckpointConfig): CheckpointSettings {
  const privateKeyFile = audit.checkpoint_key
    ? path.resolve(paths.root, audit.checkpoint_key)
    : path.join(paths.home, 'keys', 'audit-checkpoint.key')
  return {
    file: path.join(paths.home, 'audit-checkpoints.jsonl'),
    privateKeyFile,
    publicKeyFile: audit.checkpoint_public_key
      ? path.resolve(paths.root, audit.checkpoint_public_key)
      : privateKeyFile.replace(/(\.key)?$/, '.pub'),
    every: audit.checkpoint_every,
  }
}

/**
 * `audit verify` for a project: the chain, every checkpoint the project keeps (signatures
 * included), any anchors kept elsewhere, and, for an empty log, whether the project shows that
 * records were ever written.
 */
export async function verifyProjectAudit(
  paths: ProjectPaths,
  audit: CheckpointConfig,
  anchors: readonly string[] = [],
  /** An allowed_signers file kept elsewhere, for checkpoints signed with people's SSH keys. */
  allowedSignersFile?: string,
): Promise<AuditVerification> {
  const settings = checkpointSettings(paths, audit)
  const checkpoints = await readCheckpoints(settings.file)
  const publicKey = await readPublicKey(settings.publicKeyFile)
  const parsedAnchors = (await Promise.all(anchors.map(readAnchor))).flat()
  const options: VerifyOptions = {
    checkpoints,
    checkpointFile: settings.file,
    anchors: parsedAnchors,
    ...(publicKey ? { publicKey } : {}),
    verifySsh: sshCheckpointVerifier(paths, allowedSignersFile),
  }
  const evidence = await evidenceOfRecords(paths, checkpoints.length)
  return verifyAudit(paths.audit, evidence ? { ...options, evidence } : options)
}

/**
 * Checks a checkpoint signed with a person's key against allowed_signers: the file given
 * (`audit verify --allowed-signers`, kept out of the agent's reach), else the approvers the
 * audit log last recorded.
 */
function sshCheckpointVerifier(
  paths: ProjectPaths,
  allowedSignersFile: string | undefined,
): (checkpoint: Checkpoint) => Promise<string | undefined> {
  let signers: Promise<{ text: string; label: string } | undefined> | undefined
  const load = async () => {
    if (allowedSignersFile)
      return { text: await readFile(allowedSignersFile, 'utf8'), label: allowedSignersFile }
    const recorded = await lastApproversRecord(paths.audit)
    return recorded ? { text: recorded.text, label: path.join(paths.home, 'allowed_signers') } : undefined
  }
  return async (checkpoint) => {
    const found = await (signers ??= load())
    if (!found)
      return 'it is signed with an SSH key, but no approvers are recorded (pass --allowed-signers FILE)'
    try {
      const verified = await verifyWith(
        found.text,
        checkpointStatement(checkpoint.seq, checkpoint.hash, checkpoint.at),
        { at: checkpoint.at, signature: checkpoint.sig },
        CHECKPOINT_NAMESPACE,
        found.label,
      )
      if (verified.fingerprint !== checkpoint.key || verified.principal !== checkpoint.principal)
        return `it says ${String(checkpoint.principal)} (${checkpoint.key}) signed it, but ${verified.principal} (${verified.fingerprint}) did`
      return undefined
    } catch (error) {
      if (error instanceof DriftcoreError && error.code === 'integrity')
        return `its SSH signature does not verify: ${error.message}`
      throw error
    }
  }
}

/** An anchor is a record hash (64 hex) or a file of checkpoints (`audit checkpoint --json`). */
async function readAnchor(anchor: string): Promise<NonNullable<VerifyOptions['anchors']>[number][]> {
  if (/^[0-9a-f]{64}$/.test(anchor)) return [{ hash: anchor }]
  let text: string
  try {
    text = await readFile(anchor, 'utf8')
  } catch (error) {
    throw new DriftcoreError('not_found', `anchor ${anchor} is neither a record hash nor a readable file`, {
      hint: 'pass the 64-hex hash `audit verify` printed, or a file saved from `audit checkpoint --json`',
      cause: error,
    })
  }
  const found = parseCheckpoints(text, anchor)
  if (found.length === 0)
    throw new DriftcoreError('invalid_input', `anchor file ${anchor} holds no checkpoint`)
  return found
}

// Each of these is written only after an audit record (the first record of a log is always
// checkpointed), so with any of them present an empty log can only be a deleted one.
async function evidenceOfRecords(paths: ProjectPaths, checkpoints: number): Promise<string | undefined> {
  if (checkpoints > 0) return `${checkpoints} checkpoint(s) say it had records`
  try {
    const count = (await new ApprovalStore(paths.state).all()).size
    if (count > 0) return `state/approvals.json holds ${count} approval request(s)`
  } catch {
    // unreadable approvals state: no evidence from it
  }
  return undefined
}
