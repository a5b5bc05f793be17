import { Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { auditApprovalEvidence } from '../../approvals/evidence.js'
import { verifyProjectAudit } from '../../audit/project-audit.js'
import { ERROR_CODES } from '../../errors/driftcore-error.js'

export default class AuditVerify extends DriftcoreCommand<typeof AuditVerify> {
  static override summary =
    'Check the whole hash chain against its signed checkpoints; report the first edited, deleted, reordered or truncated record'
  static override description =
    `Exits ${ERROR_CODES.integrity} when the log fails verification. Besides the chain itself it checks every ` +
    'checkpoint the project keeps (signature, and the record hash at its seq), so a log that was cut short, ' +
    "deleted or re-chained fails too. A checkpoint kept outside the agent's reach (a CI artifact, a git ref on " +
    "the team's remote) is the strongest check: pass it with --anchor. It fails too when state/approvals.json " +
    'holds an approval granted (approved or used) that has no matching approval.approved record in the log.'
  static override examples = [
    '<%= config.bin %> audit verify',
    '<%= config.bin %> audit verify --json',
    '<%= config.bin %> audit verify --anchor anchor.json',
    '<%= config.bin %> audit verify --anchor 3f1c…e9 (a last hash printed earlier)',
  ]
  static override flags = {
    anchor: Flags.string({
      description:
        'a head kept elsewhere: a record hash, or a file saved from `audit checkpoint --json` (repeatable)',
      multiple: true,
    }),
  }

  async run() {
    const kernel = await this.kernel()
    // Records this process made while opening (a policy publish) are part of the chain to check.
    await kernel.audit.flush()
    const { paths } = kernel
    const chain = await verifyProjectAudit(paths, kernel.config.values.audit, this.flags.anchor ?? [])
    const approvals = await auditApprovalEvidence(paths.state, paths.audit)
    const result = { ...chain, ok: chain.ok && approvals.problems.length === 0, approvals }
    if (!result.ok) process.exitCode = ERROR_CODES.integrity
    if (!this.jsonEnabled()) {
      const extra = [
        chain.checkpoints ? `${chain.checkpoints} checkpoint(s)` : '',
        chain.anchors ? `${chain.anchors} anchor(s)` : '',
      ].filter(Boolean)
      const summary = `${chain.records} records in ${chain.segments} segment(s)${extra.length ? `, matching ${extra.join(' and ')}` : ''}; last hash ${chain.last_hash}`
      if (chain.torn_tail)
        process.stderr.write(
          `note: ${chain.torn_tail.segment}:${chain.torn_tail.line}: ${chain.torn_tail.message}\n`,
        )
      if (result.ok) this.log(`audit log OK: ${summary}`)
      else if (chain.ok)
        process.stderr.write(
          `audit log chain intact (${summary}), but ${approvals.problems.length} approval(s) in the state file have no record:\n`,
        )
      else {
        const p = chain.problem!
        process.stderr.write(
          `audit log FAILED verification at ${p.segment || paths.audit}${p.line ? `:${p.line}` : ''}${p.seq ? ` (seq ${p.seq})` : ''}: ${p.message}\n`,
        )
      }
      for (const problem of approvals.problems)
        process.stderr.write(`approval FAILED verification: ${problem.message}\n`)
    }
    return result
  }
}
