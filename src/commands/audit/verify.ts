import { DriftcoreCommand } from '../../cli/base-command.js'
import { auditApprovalEvidence } from '../../approvals/evidence.js'
import { verifyAudit } from '../../audit/verify.js'
import { ERROR_CODES } from '../../errors/driftcore-error.js'

export default class AuditVerify extends DriftcoreCommand<typeof AuditVerify> {
  static override summary =
    'Check the whole hash chain; report the first edited, deleted, reordered or truncated record'
  static override description =
    `Exits ${ERROR_CODES.integrity} when the log fails verification, or when state/approvals.json holds an approval ` +
    'granted (approved or used) that has no matching approval.approved record in the log. Keep the printed last hash ' +
    'elsewhere to anchor the chain.'
  static override examples = ['<%= config.bin %> audit verify', '<%= config.bin %> audit verify --json']

  async run() {
    const paths = this.paths()
    const chain = await verifyAudit(paths.audit)
    const approvals = await auditApprovalEvidence(paths.state, paths.audit)
    const result = { ...chain, ok: chain.ok && approvals.problems.length === 0, approvals }
    if (!result.ok) process.exitCode = ERROR_CODES.integrity
    if (!this.jsonEnabled()) {
      const summary = `${chain.records} records in ${chain.segments} segment(s); last hash ${chain.last_hash}`
      if (result.ok) this.log(`audit log OK: ${summary}`)
      else if (chain.ok)
        process.stderr.write(
          `audit log chain intact (${summary}), but ${approvals.problems.length} approval(s) in the state file have no record:\n`,
        )
      else {
        const p = chain.problem!
        process.stderr.write(
          `audit log FAILED verification at ${p.segment}${p.line ? `:${p.line}` : ''}${p.seq ? ` (seq ${p.seq})` : ''}: ${p.message}\n`,
        )
      }
      for (const problem of approvals.problems)
        process.stderr.write(`approval FAILED verification: ${problem.message}\n`)
    }
    return result
  }
}
