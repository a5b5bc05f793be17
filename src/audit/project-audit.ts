import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError } from '../errors/driftcore-error.js'
import type { ProjectPaths } from '../store/paths.js'
import { parseCheckpoints, readCheckpoints, readPublicKey, type CheckpointSettings } from './checkpoints.js'
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
  }
  const evidence = await evidenceOfRecords(paths, checkpoints.length)
  return verifyAudit(paths.audit, evidence ? { ...options, evidence } : options)
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
    const doc = JSON.parse(await readFile(path.join(paths.state, 'approvals.json'), 'utf8')) as {
      requests?: Record<string, unknown>
    }
    const count = Object.keys(doc.requests ?? {}).length
    if (count > 0) return `state/approvals.json holds ${count} approval request(s)`
  } catch {
    // no approvals file: no evidence from it
  }
  return undefined
}
