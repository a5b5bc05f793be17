import { Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { DriftcoreError } from '../../errors/driftcore-error.js'
import { decideAsPerson } from '../../identity/person.js'

export default class ApprovalsReview extends DriftcoreCommand<typeof ApprovalsReview> {
  static override summary =
    'Review pending approvals interactively: browse, read the details, approve or deny'
  static override description =
    'A terminal UI for the people who approve. It lists pending requests and shows the selected one ' +
    '(tool, input summary, rule, reason, requester, expiry, workflow run); keys: ↑/↓ or j/k move, ' +
    'a approve, d deny (each asks for an optional comment; Enter confirms, Esc cancels), r refresh, ' +
    'q or Ctrl-C quit. The list refreshes every second (--interval). Decisions are made as you and signed with your ' +
    'SSH key once the project lists approvers (--key, approvals.signing_key, or ssh-agent; a key in ssh-agent is best ' +
    'here, since a passphrase prompt cannot share the screen), and audited exactly like `approvals approve` and `approvals deny`. With --json it ' +
    'prints the pending requests instead, as `approvals list --json` does; without a terminal it ' +
    'refuses and points to `approvals list` and `approvals approve ID`.'
  static override examples = [
    '<%= config.bin %> approvals review',
    '<%= config.bin %> approvals review --key ~/.ssh/id_ed25519.pub',
    '<%= config.bin %> approvals review --json',
    '<%= config.bin %> approvals review --interval 5000',
  ]
  static override flags = {
    interval: Flags.integer({
      description: 'how often the list is read again, in milliseconds',
      default: 1000,
      min: 200,
    }),
    key: Flags.string({
      description: 'your SSH key to sign with (default: approvals.signing_key, or ssh-agent)',
    }),
  }

  async run() {
    if (!this.jsonEnabled() && !(process.stdin.isTTY && process.stdout.isTTY)) {
      throw new DriftcoreError('invalid_input', 'approvals review needs an interactive terminal', {
        hint:
          'without one, list pending requests with `driftcore approvals list` and decide them with ' +
          '`driftcore approvals approve ID` or `driftcore approvals deny ID` (or add --json here)',
      })
    }
    const kernel = await this.kernel()
    if (this.jsonEnabled()) return kernel.approvals.list('pending')
    // Ink and React load only here: command discovery and every other command stay lean.
    const { startReview } = await import('../../approvals/review/start.js')
    await startReview({
      approvals: kernel.approvals,
      reviewer: this.actor(),
      pollMs: this.flags.interval,
      redact: (text) => kernel.redactor.redactText(text),
      decide: (id, approver, verdict, comment) =>
        decideAsPerson(kernel, id, approver, verdict, comment, { key: this.flags.key }),
    })
    return undefined
  }
}
