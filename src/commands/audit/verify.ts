import { DriftcoreCommand } from '../../cli/base-command.js'
import { verifyAudit } from '../../audit/verify.js'
import { ERROR_CODES } from '../../errors/driftcore-error.js'

export default class AuditVerify extends DriftcoreCommand<typeof AuditVerify> {
  static override summary =
    'Check the whole hash chain; report the first edited, deleted, reordered or truncated record'
  static override description = `Exits ${ERROR_CODES.integrity} when the log fails verification. Keep the printed last hash elsewhere to anchor the chain.`
  static override examples = ['<%= config.bin %> audit verify', '<%= config.bin %> audit verify --json']

  async run() {
    const paths = this.paths()
    const result = await verifyAudit(paths.audit)
    if (!result.ok) process.exitCode = ERROR_CODES.integrity
    if (!this.jsonEnabled()) {
      if (result.ok)
        this.log(
          `audit log OK: ${result.records} records in ${result.segments} segment(s); last hash ${result.last_hash}`,
        )
      else {
        const p = result.problem!
        process.stderr.write(
          `audit log FAILED verification at ${p.segment}${p.line ? `:${p.line}` : ''}${p.seq ? ` (seq ${p.seq})` : ''}: ${p.message}\n`,
        )
      }
    }
    return result
  }
}
