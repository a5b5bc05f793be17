import { Args, Flags } from '@oclif/core'
import { ToolCommand } from '../../cli/tool-command.js'
import { approversChangeInput, readPublicKeyArg } from '../../identity/approvers-cli.js'
import type { ApproversChangeResult } from '../../identity/approvers.js'

export default class ApproversAdd extends ToolCommand<typeof ApproversAdd> {
  static override summary = 'Add a person and their SSH public key to .driftcore/allowed_signers'
  static override description =
    'This is the approvers.add tool: the shipped policy lets a person do it and denies agents. The first approver ' +
    'is trusted on first use (whoever adds it); after that every change is signed with the key of an approver ' +
    'already listed (--sign-key, approvals.signing_key in your user config, or ssh-agent), so a solo developer adds ' +
    'their second key by signing with the first. Each change is recorded as approvers.changed with the whole new file; ' +
    'a file edited by hand is refused where an approval is used and by `audit verify`.'
  static override examples = [
    '<%= config.bin %> approvers add alice@example.com --key ~/.ssh/id_ed25519.pub',
    "<%= config.bin %> approvers add bob --key 'ssh-ed25519 AAAAC3Nza… bob@laptop'",
    '<%= config.bin %> approvers add alice@example.com --key ~/.ssh/id_ed25519_sk.pub --sign-key ~/.ssh/id_ed25519',
  ]
  static override args = {
    name: Args.string({ description: 'the principal, e.g. alice@example.com', required: true }),
  }
  static override flags = {
    key: Flags.string({
      description: "the public key: a .pub file or the key line ('ssh-ed25519 AAAA…')",
      required: true,
    }),
    'sign-key': Flags.string({
      description:
        'your key to sign the change with, once approvers exist (default: approvals.signing_key, or ssh-agent)',
    }),
  }

  async run() {
    const kernel = await this.kernel()
    const key = await readPublicKeyArg(this.flags.key)
    const input = await approversChangeInput(
      kernel,
      { action: 'add', name: this.args.name, key },
      { key: this.flags['sign-key'] },
    )
    const result = await this.callTool<ApproversChangeResult>('approvers.add', input)
    if (!this.jsonEnabled()) {
      this.log(`added ${result.name} (${result.fingerprint}) to ${result.file}`)
      if (result.bootstrap)
        this.log(
          'this is the first approver: trusted on first use. From now on approvals must be signed, and changes to the approvers are signed by an approver.',
        )
    }
    return result
  }
}
