import { Args, Flags } from '@oclif/core'
import { approvalsLine, cutLines, visible, wholeInput } from '../../approvals/display.js'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { yamlish } from '../../cli/format.js'
import { serverFlags } from '../../cli/remote.js'
import type { ApprovalRequest } from '../../approvals/approvals.js'

export default class ApprovalsShow extends DriftcoreCommand<typeof ApprovalsShow> {
  static override summary =
    'Show one approval request: tool, the whole input and its hash, rule, reason, requester'
  static override description =
    'A request that needs several people starts with "approvals: 1 of 2 (human:alice)". The input is printed whole (a patch line by line, secrets masked, characters that would not show themselves escaped), so what is approved is what was read. --max-lines cuts it for a quick look and says so.'
  static override examples = [
    '<%= config.bin %> approvals show apr_0123456789ab',
    '<%= config.bin %> approvals show apr_0123456789ab --max-lines 40',
  ]
  static override args = { id: Args.string({ description: 'approval id', required: true }) }
  static override flags = {
    ...serverFlags,
    'max-lines': Flags.integer({
      description: 'show at most this many lines of the input (the cut is announced)',
      min: 1,
    }),
  }

  async run() {
    const remote = await this.remote()
    const request = remote
      ? await remote.get<ApprovalRequest>(`/approvals/${encodeURIComponent(this.args.id)}`)
      : await (await this.kernel()).approvals.get(this.args.id)
    if (!this.jsonEnabled()) {
      const { input: _input, input_redacted: _redacted, input_summary: _summary, preview, ...rest } = request
      const count = approvalsLine(request)
      this.log(visible(count ? `approvals: ${count}\n${yamlish(rest)}` : yamlish(rest)))
      const whole = wholeInput(request)
      const max = this.flags['max-lines']
      this.log(`input${whole.note ? ` (${whole.note})` : ''}:`)
      this.log((max ? cutLines(whole.text, max, request.id) : whole.text).replace(/^/gm, '  '))
      if (preview) this.log(`what it would do:\n${visible(preview).replace(/^/gm, '  ')}`)
    }
    return request
  }
}
