import { Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { auditLine } from '../../cli/audit-format.js'
import { parseTime } from '../../cli/time.js'
import { serverFlags } from '../../cli/remote.js'
import type { AuditRecord } from '../../audit/record.js'
import { auditQueryOf } from '../../audit/direct-cli.js'
import { queryAudit } from '../../audit/query.js'

export default class AuditQuery extends DriftcoreCommand<typeof AuditQuery> {
  static override summary = 'Find audit records by type, actor, identity, subject and time'
  static override description =
    'Every filter given must match. --actor takes type:id or an id, exactly, or a glob over them ' +
    '(`*` matches any characters, `/` included). The identity filters are globs over the identity ' +
    'driftcore recorded (the OS user from the uid, the MCP client and session, the control-API ' +
    'token, the signing key), which DRIFTCORE_ACTOR does not change; records written before ' +
    'identities were recorded match none of them.'
  static override examples = [
    '<%= config.bin %> audit query --type "tool.*" --since 2h',
    '<%= config.bin %> audit query --actor agent:copilot --subject "drush.*" --json',
    '<%= config.bin %> audit query --actor "agent:claude-code/*" --type tool.call',
    '<%= config.bin %> audit query --actor "human:*" --os-user "!alice"',
    '<%= config.bin %> audit query --mcp-client claude-code --session 3f9a0c1d',
    '<%= config.bin %> audit query --type approval.approved --since 2026-11-01 --until 2026-11-08',
  ]
  static override flags = {
    ...serverFlags,
    type: Flags.string({ description: 'record type glob, e.g. tool.* or policy.refused' }),
    actor: Flags.string({
      description: 'type:id or just id, or a glob: agent:claude-code/*, human:*, *:alice',
    }),
    'os-user': Flags.string({ description: 'glob over the OS user of the process that wrote the record' }),
    uid: Flags.integer({ description: 'the uid of the process that wrote the record' }),
    'mcp-client': Flags.string({ description: 'glob over the MCP client name (agent calls over MCP)' }),
    session: Flags.string({ description: 'glob over the MCP session id' }),
    token: Flags.string({ description: 'glob over the control-API token name' }),
    key: Flags.string({ description: "glob over the signing key's principal or fingerprint (approvals)" }),
    subject: Flags.string({ description: 'subject glob, e.g. drush.*' }),
    since: Flags.string({ description: 'ISO date or age (30m, 2h, 7d)' }),
    until: Flags.string({ description: 'ISO date or age' }),
    trace: Flags.string({ description: 'trace id' }),
    limit: Flags.integer({ description: 'stop after this many matches' }),
  }

  async run() {
    const f = this.flags
    const remote = await this.remote()
    const records = remote
      ? await remote.get<AuditRecord[]>('/audit/query', {
          type: f.type,
          actor: f.actor,
          subject: f.subject,
          trace: f.trace,
          // Ages are counted on this machine, as they would be locally.
          since: f.since ? parseTime(f.since, '--since').toISOString() : undefined,
          until: f.until ? parseTime(f.until, '--until').toISOString() : undefined,
          limit: f.limit,
        })
      : await this.local()
    if (!this.jsonEnabled()) {
      for (const r of records) this.log(auditLine(r))
      this.note(`${records.length} record${records.length === 1 ? '' : 's'}`)
    }
    return records
  }

  private async local() {
    const f = this.flags
    return queryAudit(this.paths().audit, auditQueryOf(f), f.limit, (m) =>
      process.stderr.write(`note: ${m}\n`),
    )
  }
}
