import { Args, Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { callTool } from '../../cli/tool-call.js'

export default class ToolsCall extends DriftcoreCommand<typeof ToolsCall> {
  static override summary = 'Call a tool through the gate: validate, decide, approve, run, redact, record'
  static override description =
    'The call is checked against the tool input schema, decided by policy, and recorded in the audit log. ' +
    'A call that needs approval prints the approval id; once a person approves it, repeat the call with --approval.'
  static override examples = [
    '<%= config.bin %> tools call audit.verify',
    `<%= config.bin %> tools call policy.simulate --input '{"tool":"audit.verify"}'`,
    '<%= config.bin %> tools call drush.cacheRebuild --input @input.json --approval apr_0123456789ab',
    '<%= config.bin %> tools call drush.status --dry-run --json',
  ]
  static override args = { id: Args.string({ description: 'tool id', required: true }) }
  static override flags = {
    input: Flags.string({
      char: 'i',
      description: 'input as JSON, @file.json, or - for stdin',
      default: undefined,
    }),
    'dry-run': Flags.boolean({ description: 'decide only: no approval request, no run, no audit record' }),
    'idempotency-key': Flags.string({
      description: 'repeat calls with the same key return the first result',
    }),
    approval: Flags.string({ description: 'an approved approval id for exactly this tool and input' }),
  }

  async run() {
    return callTool(
      await this.kernel(),
      this.args.id,
      {
        input: this.flags.input,
        dryRun: this.flags['dry-run'],
        idempotencyKey: this.flags['idempotency-key'],
        approval: this.flags.approval,
      },
      () => this.actor(),
      { json: this.jsonEnabled(), log: (m) => this.log(m), note: (m) => this.note(m) },
    )
  }
}
