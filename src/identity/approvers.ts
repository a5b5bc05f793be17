import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { AuditLog } from '../audit/log.js'
import { checkLineBytes } from '../audit/record.js'
import { listSegments, segmentPath } from '../audit/segments.js'
import type { Actor } from '../audit/record.js'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { writeFileAtomic } from '../store/atomic-write.js'
import { withFileLock } from '../store/file-lock.js'
import { sha256 } from '../store/hash.js'
import {
  formatAllowedSigners,
  parseAllowedSigners,
  parsePublicKey,
  PRINCIPAL,
  type SignerEntry,
} from './allowed-signers.js'
import { sshFingerprint, sshVerify, type SshVerified } from './ssh-keygen.js'

/** Recorded at every change of `.driftcore/allowed_signers`, carrying the whole new file. */
export const APPROVERS_CHANGED = 'approvers.changed'
/** The SSH signature namespace of a change to the approvers. */
export const APPROVERS_NAMESPACE = 'driftcore-approvers'
/** How far a signed statement's time may be from now when it is used. */
export const SIGNATURE_SKEW_MS = 10 * 60_000

export interface ApproversRecord {
  seq: number
  text: string
  hash: string
  old_hash: string | null
  actor?: string
  signature?: { principal: string; fingerprint: string; at: string; signature: string }
  action?: string
  name?: string
  key?: string
}

/** The approvers in force: what the last `approvers.changed` record says, checked against the file. */
export interface ApproversState {
  file: string
  /** The last recorded allowed_signers (undefined: none was ever set up). */
  recorded?: ApproversRecord
  entries: SignerEntry[]
  /** Set when the file is not what was recorded: edited, created or deleted behind driftcore's back. */
  problem?: string
}

export interface ApproversChange {
  action: 'add' | 'remove'
  name: string
  /** add: the public key (`keytype base64 [comment]`). */
  key?: string
  /** Needed once approvers exist: the change signed by one of them. */
  signed?: { at: string; signature: string }
}

export interface ApproversChangeResult {
  action: 'add' | 'remove'
  name: string
  file: string
  hash: string
  old_hash: string | null
  fingerprint?: string
  /** The approver who signed the change; absent for the first one (trust on first use). */
  signed_by?: { principal: string; fingerprint: string }
  bootstrap: boolean
}

/** The text an existing approver signs to change the approvers: the change and the file it applies to. */
export function approversStatement(change: ApproversChange, oldHash: string | null, at: string): string {
  const key = change.key ? parsePublicKey(change.key) : null
  return (
    'driftcore-approvers/v1\n' +
    [
      ['action', change.action],
      ['name', change.name],
      ['key', key],
      ['old_hash', oldHash],
      ['at', at],
    ]
      .map(([k, v]) => `${k} ${JSON.stringify(v)}`)
      .join('\n') +
    '\n'
  )
}

/**
 * Who may approve: `.driftcore/allowed_signers`, as the audit log last recorded it. The file is
 * only a copy for ssh-keygen and for people to read; what is in force is the last
 * `approvers.changed` record, so a same-user agent that adds its own key to the file (or deletes
 * it to switch signing off) is caught where an approval is used, with an integrity error.
 */
export class Approvers {
  readonly file: string

  constructor(
    home: string,
    private readonly audit: AuditLog,
    private readonly options: { requireSignature?: boolean | undefined } = {},
  ) {
    this.file = path.join(home, 'allowed_signers')
  }

  private checked = new Map<string, string | undefined>()
  private cached: { head: string; records: ApproversRecord[] } | undefined

  // The log changes only when HEAD.json does: a command that checks the approvers several times
  // reads the log once.
  private async records(): Promise<ApproversRecord[]> {
    const head = await readFile(path.join(this.audit.dir, 'HEAD.json'), 'utf8').catch(() => '')
    if (head && this.cached?.head === head) return this.cached.records
    const records = await lastApproversRecords(this.audit.dir)
    this.cached = { head, records }
    return records
  }

  async state(): Promise<ApproversState> {
    const [recorded, before] = await this.records()
    const onDisk = await readFile(this.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined
      throw error
    })
    const entries = recorded ? parseAllowedSigners(recorded.text) : []
    const state: ApproversState = { file: this.file, entries, ...(recorded ? { recorded } : {}) }
    const problem =
      fileProblem(this.file, recorded, onDisk) ??
      (recorded ? await this.chainProblem(recorded, before) : undefined)
    return problem ? { ...state, problem } : state
  }

  // The change in force must follow the one before it and, unless it was the first, be signed by
  // an approver of that one: an appended, correctly chained record the agent wrote is not.
  // Checked once per record in a process.
  private async chainProblem(
    recorded: ApproversRecord,
    before: ApproversRecord | undefined,
  ): Promise<string | undefined> {
    const key = `${recorded.seq}:${recorded.hash}:${before?.hash ?? ''}`
    if (this.checked.has(key)) return this.checked.get(key)
    const problem = await changeProblem(recorded, before)
    this.checked.set(key, problem)
    return problem
  }

  /** The state, or an integrity error when the file is not what the audit log says. */
  async inForce(): Promise<ApproversState> {
    const state = await this.state()
    if (state.problem) throw integrity(state)
    return state
  }

  /**
   * Whether approvals must be signed: always once approvers are listed (switching that off is
   * removing them, a signed change, never a config value an agent could edit), and before that
   * when `approvals.require_signature` is true.
   */
  async signingRequired(state?: ApproversState): Promise<boolean> {
    if (this.options.requireSignature === true) return true
    const s = state ?? (await this.state())
    return s.entries.length > 0 || s.problem !== undefined
  }

  /**
   * Verifies a signature against the recorded allowed_signers (written to a private temp file,
   * so a file swapped between the check and ssh-keygen's read changes nothing), at the time it
   * says it was made.
   */
  async verify(
    text: string,
    signed: { at: string; signature: string },
    namespace: string,
  ): Promise<SshVerified> {
    const state = await this.inForce()
    return verifyWith(state.recorded?.text ?? '', text, signed, namespace, this.file)
  }

  /** `approvers add|remove`: the host tool's work. Bootstrap (no approver yet) is trust on first use. */
  async change(change: ApproversChange, actor: Actor): Promise<ApproversChangeResult> {
    if (!PRINCIPAL.test(change.name)) {
      throw new DriftcoreError('invalid_input', `approver name "${change.name}" is not a plain name`, {
        hint: 'letters, digits and . _ @ + - (no globs, commas or spaces), e.g. alice or alice@example.com',
      })
    }
    return withFileLock(this.file, async () => {
      const state = await this.inForce()
      const oldHash = state.recorded?.hash ?? null
      const bootstrap = state.entries.length === 0
      let signedBy: SshVerified | undefined
      if (!bootstrap) {
        if (!change.signed) {
          throw new DriftcoreError(
            'forbidden',
            `changing the approvers needs the signature of an approver already in ${this.file}`,
            {
              hint: 'run it as a person with your key (approvals.signing_key, or ssh-agent): driftcore approvers add|remove …',
            },
          )
        }
        assertFresh(change.signed.at)
        signedBy = await verifyWith(
          state.recorded!.text,
          approversStatement(change, oldHash, change.signed.at),
          change.signed,
          APPROVERS_NAMESPACE,
          this.file,
        )
      }
      let entries = state.entries
      let fingerprint: string | undefined
      if (change.action === 'add') {
        if (!change.key) throw new DriftcoreError('invalid_input', 'approvers add needs --key')
        const key = parsePublicKey(change.key)
        fingerprint = await sshFingerprint(key)
        const holder = entries.find((e) => e.key === key)
        if (holder) {
          throw new DriftcoreError('conflict', `that key (${fingerprint}) is already ${holder.principal}'s`, {
            hint: 'one key, one person: give each person their own key',
          })
        }
        entries = [...entries, { principal: change.name, key }]
      } else {
        if (!entries.some((e) => e.principal === change.name))
          throw new DriftcoreError('not_found', `${change.name} is not an approver in ${this.file}`, {
            hint: 'list them with `driftcore approvers list`',
          })
        entries = entries.filter((e) => e.principal !== change.name)
      }
      const text = formatAllowedSigners(entries)
      const hash = sha256(text)
      const by = signedBy ? { type: 'human', id: signedBy.principal } : actor
      // The record is the truth and is on disk first; the file is the copy ssh-keygen reads.
      await this.audit.record({
        type: APPROVERS_CHANGED,
        actor: by,
        subject: change.name,
        // identity: { key: signedBy } once the Identity field is merged (i11/ident)
        data: {
          action: change.action,
          name: change.name,
          ...(change.key ? { key: parsePublicKey(change.key) } : {}),
          ...(fingerprint ? { fingerprint } : {}),
          text,
          hash,
          old_hash: oldHash,
          ...(signedBy
            ? {
                signature: {
                  principal: signedBy.principal,
                  fingerprint: signedBy.fingerprint,
                  namespace: APPROVERS_NAMESPACE,
                  at: change.signed!.at,
                  signature: change.signed!.signature,
                },
              }
            : { bootstrap: true }),
        },
      })
      await this.audit.flush()
      await writeFileAtomic(this.file, text, { mode: 0o644 })
      return {
        action: change.action,
        name: change.name,
        file: this.file,
        hash,
        old_hash: oldHash,
        ...(fingerprint ? { fingerprint } : {}),
        ...(signedBy ? { signed_by: signedBy } : {}),
        bootstrap,
      }
    })
  }
}

export function assertFresh(at: string, now = Date.now()): void {
  const time = Date.parse(at)
  if (!Number.isFinite(time) || Math.abs(now - time) > SIGNATURE_SKEW_MS) {
    throw new DriftcoreError('forbidden', `the signature's time ${at} is not now`, {
      hint: 'sign again; a signed decision is used within minutes of being made (check the clock)',
    })
  }
}

/** Verifies against an allowed_signers text (written to a private temp file for ssh-keygen). */
export async function verifyWith(
  allowedSigners: string,
  text: string,
  signed: { at: string; signature: string },
  namespace: string,
  label?: string,
): Promise<SshVerified> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-signers-'))
  try {
    const file = path.join(dir, 'allowed_signers')
    await writeFile(file, allowedSigners, { mode: 0o600 })
    const at = new Date(signed.at)
    return await sshVerify(text, signed.signature, {
      allowedSigners: file,
      namespace,
      ...(label ? { label } : {}),
      ...(Number.isFinite(at.getTime()) ? { at } : {}),
    })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

function fileProblem(
  file: string,
  recorded: ApproversRecord | undefined,
  onDisk: string | undefined,
): string | undefined {
  if (!recorded) {
    return onDisk !== undefined && parseAllowedSigners(onDisk).length > 0
      ? `${file} lists keys, but the audit log holds no ${APPROVERS_CHANGED} record: it was not set up with \`driftcore approvers add\``
      : undefined
  }
  if (onDisk === undefined) {
    return parseAllowedSigners(recorded.text).length > 0
      ? `${file} was deleted (the audit log's ${APPROVERS_CHANGED} record seq ${recorded.seq} lists approvers)`
      : undefined
  }
  if (sha256(onDisk) !== recorded.hash)
    return `${file} was edited: it is not the allowed_signers the audit log recorded (${APPROVERS_CHANGED} seq ${recorded.seq})`
  return undefined
}

function integrity(state: ApproversState): DriftcoreError {
  return new DriftcoreError('integrity', state.problem!, {
    hint: state.recorded
      ? `someone changed it behind driftcore's back; restore it (\`driftcore approvers list\` shows what is in force) and run \`driftcore audit verify\``
      : `remove ${state.file} and add approvers with \`driftcore approvers add NAME --key FILE\``,
    details: { file: state.file },
  })
}

/** Why a recorded change does not hold given the one before it (see `Approvers.chainProblem`). */
export async function changeProblem(
  recorded: ApproversRecord,
  before: ApproversRecord | undefined,
): Promise<string | undefined> {
  const where = `the ${APPROVERS_CHANGED} record seq ${recorded.seq}`
  if ((before?.hash ?? null) !== recorded.old_hash)
    return `${where} does not follow the approvers recorded before it: the audit log was added to by hand`
  if (!before || parseAllowedSigners(before.text).length === 0) return undefined
  const sig = recorded.signature
  if (!sig) return `${where} is not signed by an approver of the time: the audit log was added to by hand`
  try {
    const verified = await verifyWith(
      before.text,
      approversStatement(
        {
          action: recorded.action as 'add' | 'remove',
          name: recorded.name ?? '',
          ...(recorded.key ? { key: recorded.key } : {}),
        },
        recorded.old_hash,
        sig.at,
      ),
      sig,
      APPROVERS_NAMESPACE,
    )
    if (verified.principal !== sig.principal || recorded.actor !== `human:${sig.principal}`)
      return `${where} says ${sig.principal} signed it, but ${verified.principal} did`
  } catch (error) {
    if (error instanceof DriftcoreError && error.code === 'integrity')
      return `${where}: its signature does not verify (${error.message})`
    throw error
  }
  return undefined
}

/** The newest intact `approvers.changed` record (see `lastApproversRecords`). */
export async function lastApproversRecord(auditDir: string): Promise<ApproversRecord | undefined> {
  return (await lastApproversRecords(auditDir, 1))[0]
}

/**
 * The newest intact `approvers.changed` records, newest first, read newest segment first. A
 * project that never set up approvers reads its whole log here; approvals are rare, and a
 * deleted file must not switch signing off.
 */
export async function lastApproversRecords(auditDir: string, count = 2): Promise<ApproversRecord[]> {
  const needle = Buffer.from(`"type":"${APPROVERS_CHANGED}",`)
  const found: ApproversRecord[] = []
  const segments = await listSegments(auditDir).catch(() => [] as string[])
  for (let i = segments.length - 1; i >= 0; i--) {
    const bytes = await readFile(segmentPath(auditDir, segments[i]!))
    for (
      let hit = bytes.lastIndexOf(needle);
      hit !== -1;
      hit = hit > 0 ? bytes.lastIndexOf(needle, hit - 1) : -1
    ) {
      const start = bytes.lastIndexOf(0x0a, hit) + 1
      const newline = bytes.indexOf(0x0a, hit)
      const end = newline === -1 ? bytes.length : newline
      const check = checkLineBytes(bytes, start, end)
      if (!check?.intact) continue
      const record = parseRecord(bytes.subarray(start, end))
      if (record) found.push({ seq: check.seq, ...record })
      if (found.length >= count) return found
    }
  }
  return found
}

function parseRecord(line: Buffer): Omit<ApproversRecord, 'seq'> | undefined {
  try {
    return approversRecordOf(JSON.parse(line.toString('utf8')) as ChangedRecord)
  } catch {
    return undefined
  }
}

/** An `approvers.changed` audit record as JSON. */
export interface ChangedRecord {
  type?: string
  actor?: { type?: string; id?: string }
  data?: {
    text?: unknown
    hash?: unknown
    old_hash?: unknown
    signature?: ApproversRecord['signature']
    action?: unknown
    name?: unknown
    key?: unknown
  }
}

/** The change a record carries, or undefined when it is not a well-formed one. */
export function approversRecordOf(record: ChangedRecord): Omit<ApproversRecord, 'seq'> | undefined {
  if (record.type !== APPROVERS_CHANGED) return undefined
  const d = record.data ?? {}
  if (typeof d.text !== 'string' || typeof d.hash !== 'string' || sha256(d.text) !== d.hash) return undefined
  return {
    text: d.text,
    hash: d.hash,
    old_hash: typeof d.old_hash === 'string' ? d.old_hash : null,
    actor: `${record.actor?.type}:${record.actor?.id}`,
    ...(d.signature ? { signature: d.signature } : {}),
    ...(typeof d.action === 'string' ? { action: d.action } : {}),
    ...(typeof d.name === 'string' ? { name: d.name } : {}),
    ...(typeof d.key === 'string' ? { key: d.key } : {}),
  }
}
