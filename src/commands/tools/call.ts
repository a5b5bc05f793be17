import { Args, Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { readJsonInput } from '../../cli/input.js'
import { decisionText } from '../../cli/decision.js'
import { progressLine } from '../../cli/progress.js'

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
    const kernel = await this.kernel()
    const input = await readJsonInput(this.flags.input, {
      maxBytes: kernel.config.values.limits.max_input_bytes,
    })
    // A bar or spinner on a terminal's stderr while it runs; nothing on a pipe.
    const progress = progressLine(this.args.id)
    const options = {
      ...(this.flags['idempotency-key'] ? { idempotencyKey: this.flags['idempotency-key'] } : {}),
      ...(this.flags.approval ? { approvalId: this.flags.approval } : {}),
      ...(process.stderr.isTTY ? { onProgress: progress.update } : {}),
    }
    if (this.flags['dry-run']) {
      const result = await kernel.gate.invoke(this.args.id, input, this.actor(), { ...options, dryRun: true })
      if (!this.jsonEnabled())
        this.log(
          `${result.decision.decision}: ${result.decision.reason} (rules: ${result.decision.rule_ids.join(', ') || 'none'})`,
        )
      return result
    }
    const result = await kernel.gate
      .invoke(this.args.id, input, this.actor(), options)
      .finally(() => progress.done())
    // Reported only once its record is on disk (with fsync batch the gate returns before).
    await kernel.audit.flush()
    if (!this.jsonEnabled()) {
      this.log(JSON.stringify(result.output, null, 2))
      this.note(
        `trace ${result.trace_id} · ${decisionText(result)} · ${result.duration_ms} ms${result.replayed ? ' · replayed' : ''}`,
      )
    }
    return result
  }
}
