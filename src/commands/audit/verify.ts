import { Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { auditApprovalEvidence } from '../../approvals/evidence.js'
import { verifyProjectAudit } from '../../audit/project-audit.js'
import { ERROR_CODES } from '../../errors/driftcore-error.js'
import { auditSignatures } from '../../identity/audit-signatures.js'

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
    '<%= config.bin %> audit verify --anchor 3f1c…e9 (a last hash printed earlier)',
    '<%= config.bin %> audit verify --anchor anchor.json --allowed-signers ~/team/allowed_signers',
  ]
  static override flags = {
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
    const kernel = await this.kernel()
    // Records this process made while opening (a policy publish) are part of the chain to check.
    await kernel.audit.flush()
    const { paths } = kernel
    const chain = await verifyProjectAudit(
      paths,
      kernel.config.values.audit,
      this.flags.anchor ?? [],
      this.flags['allowed-signers'],
    )
    const approvals = await auditApprovalEvidence(paths.state, paths.audit)
    const signatures = await auditSignatures(paths.audit, kernel.approvers)
    const result = {
      ...chain,
      ok: chain.ok && approvals.problems.length === 0 && signatures.problems.length === 0,
      approvals,
      signatures,
    }
    if (!result.ok) process.exitCode = ERROR_CODES.integrity
    if (!this.jsonEnabled()) {
      const extra = [
        chain.checkpoints ? `${chain.checkpoints} checkpoint(s)` : '',
        chain.anchors ? `${chain.anchors} anchor(s)` : '',
      ].filter(Boolean)
      const summary = `${chain.records} records in ${chain.segments} segment(s)${extra.length ? `, matching ${extra.join(' and ')}` : ''}; last hash ${chain.last_hash}`
      const signed = signatures.approvals ? `; ${signatures.approvals} approval signature(s) verified` : ''
      if (result.ok) this.log(`audit log OK: ${summary}${signed}`)
      else if (chain.ok)
        process.stderr.write(
          `audit log chain intact (${summary}), but ${approvals.problems.length + signatures.problems.length} approval problem(s):\n`,
        )
      else {
        const p = chain.problem!
        process.stderr.write(
          `audit log FAILED verification at ${p.segment || paths.audit}${p.line ? `:${p.line}` : ''}${p.seq ? ` (seq ${p.seq})` : ''}: ${p.message}\n`,
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
