import { readFile } from 'node:fs/promises'
import { Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { serverFlags } from '../../cli/remote.js'
import type { AnchorFile } from '../../control/operations.js'
import { DriftcoreError, ERROR_CODES } from '../../errors/driftcore-error.js'

export default class AuditVerify extends DriftcoreCommand<typeof AuditVerify> {
  static override summary =
    'Check the whole hash chain against its signed checkpoints; report the first edited, deleted, reordered or truncated record'
  static override description =
    `Exits ${ERROR_CODES.integrity} when the log fails verification. Besides the chain itself it checks every ` +
    'checkpoint the project keeps (signature, and the record hash at its seq), so a log that was cut short, ' +
    "deleted or re-chained fails too. A checkpoint kept outside the agent's reach (a CI artifact, a git ref on " +
    "the team's remote) is the strongest check: pass it with --anchor. It fails too when state/approvals.json " +
    'holds an approval granted (approved or used) that has no matching approval.approved record in the log, when ' +
    'an approval signature does not verify against the allowed_signers in force when it was made (the log replays ' +
    'every approvers.changed), when a person approved unsigned while approvers were listed, and when ' +
    ".driftcore/allowed_signers is not the file the log recorded. Checkpoints signed with a person's SSH key are " +
    "checked against the recorded approvers, or against --allowed-signers FILE kept out of the agent's reach."
  static override examples = [
    '<%= config.bin %> audit verify',
    '<%= config.bin %> audit verify --json',
    '<%= config.bin %> audit verify --anchor anchor.json',
    '<%= config.bin %> audit verify --server http://127.0.0.1:7800 --anchor anchor.json',
    '<%= config.bin %> audit verify --anchor 3f1c…e9 (a last hash printed earlier)',
    '<%= config.bin %> audit verify --anchor anchor.json --allowed-signers ~/team/allowed_signers',
  ]
  static override flags = {
    ...serverFlags,
    anchor: Flags.string({
      description:
        'a head kept elsewhere: a record hash, or a file saved from `audit checkpoint --json` (repeatable)',
      multiple: true,
    }),
    'allowed-signers': Flags.string({
      description:
        "an allowed_signers file kept elsewhere, to check checkpoints signed with people's SSH keys",
    }),
  }

  async run() {
    const remote = await this.remote()
    const { verify } = await import('../../control/operations.js')
    type Result = Awaited<ReturnType<typeof verify>>
    const signers = this.flags['allowed-signers']
    const result: Result = remote
      ? await remote.post<Result>('/audit/verify', {
          anchors: await anchorsToSend(this.flags.anchor ?? []),
          ...(signers
            ? {
                allowed_signers: {
                  name: signers,
                  text: await readAnchorFile(signers, 'the allowed_signers file'),
                },
              }
            : {}),
        })
      : await verify(await this.kernel(), this.flags.anchor ?? [], signers)
    const { approvals, signatures, ...chain } = result
    const where = remote ? `${remote.base} (the server's audit log)` : (await this.kernel()).paths.audit
    if (!result.ok) process.exitCode = ERROR_CODES.integrity
    if (!this.jsonEnabled()) {
      const extra = [
        chain.checkpoints ? `${chain.checkpoints} checkpoint(s)` : '',
        chain.anchors ? `${chain.anchors} anchor(s)` : '',
      ].filter(Boolean)
      const summary = `${chain.records} records in ${chain.segments} segment(s)${extra.length ? `, matching ${extra.join(' and ')}` : ''}; last hash ${chain.last_hash}`
      const signed = signatures.approvals ? `; ${signatures.approvals} approval signature(s) verified` : ''
      if (chain.torn_tail)
        process.stderr.write(
          `note: ${chain.torn_tail.segment}:${chain.torn_tail.line}: ${chain.torn_tail.message}\n`,
        )
      if (result.ok) this.log(`audit log OK: ${summary}${signed}`)
      // `ok` covers approvals and signatures as well; the chain itself held when it names no problem.
      else if (!chain.problem)
        process.stderr.write(
          `audit log chain intact (${summary}), but ${approvals.problems.length + signatures.problems.length} approval problem(s):\n`,
        )
      else {
        const p = chain.problem
        process.stderr.write(
          `audit log FAILED verification at ${p.segment || where}${p.line ? `:${p.line}` : ''}${p.seq ? ` (seq ${p.seq})` : ''}: ${p.message}\n`,
        )
      }
      for (const problem of approvals.problems)
        process.stderr.write(`approval FAILED verification: ${problem.message}\n`)
      for (const problem of signatures.problems)
        process.stderr.write(
          `signature FAILED verification${problem.seq ? ` (seq ${problem.seq})` : ''}: ${problem.message}\n`,
        )
    }
    return result
  }
}

// A hash goes as it is; a file is read here, since the server cannot see this machine's files.
async function anchorsToSend(anchors: readonly string[]): Promise<(string | AnchorFile)[]> {
  return Promise.all(
    anchors.map(async (anchor) =>
      /^[0-9a-f]{64}$/.test(anchor) ? anchor : { name: anchor, text: await readAnchorFile(anchor, 'anchor') },
    ),
  )
}

async function readAnchorFile(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    throw new DriftcoreError('not_found', `${what} ${file} is neither a record hash nor a readable file`, {
      hint: 'pass a record hash, or a file saved from `driftcore audit checkpoint --json`',
      cause: error,
    })
  }
}
