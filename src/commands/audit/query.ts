import { Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { auditLine } from '../../cli/audit-format.js'
import { parseTime } from '../../cli/time.js'
import { queryAudit } from '../../audit/query.js'

export default class AuditQuery extends DriftcoreCommand<typeof AuditQuery> {
  static override summary = 'Find audit records by type, actor, subject and time'
  static override examples = [
    '<%= config.bin %> audit query --type "tool.*" --since 2h',
    '<%= config.bin %> audit query --actor agent:copilot --subject "drush.*" --json',
    '<%= config.bin %> audit query --type approval.approved --since 2026-11-01 --until 2026-11-08',
  ]
  static override flags = {
    type: Flags.string({ description: 'record type glob, e.g. tool.* or policy.refused' }),
    actor: Flags.string({ description: 'type:id, or just id' }),
    subject: Flags.string({ description: 'subject glob, e.g. drush.*' }),
    since: Flags.string({ description: 'ISO date or age (30m, 2h, 7d)' }),
    until: Flags.string({ description: 'ISO date or age' }),
    trace: Flags.string({ description: 'trace id' }),
    limit: Flags.integer({ description: 'stop after this many matches' }),
  }

  async run() {
    const paths = this.paths()
    const f = this.flags
    const records = await queryAudit(
      paths.audit,
      {
        ...(f.type ? { type: f.type } : {}),
        ...(f.actor ? { actor: f.actor } : {}),
        ...(f.subject ? { subject: f.subject } : {}),
        ...(f.trace ? { trace_id: f.trace } : {}),
        ...(f.since ? { since: parseTime(f.since, '--since') } : {}),
        ...(f.until ? { until: parseTime(f.until, '--until') } : {}),
      },
      f.limit,
      (m) => process.stderr.write(`note: ${m}\n`),
    )
    if (!this.jsonEnabled()) {
      for (const r of records) this.log(auditLine(r))
      this.note(`${records.length} record${records.length === 1 ? '' : 's'}`)
    }
    return records
  }
}
