import { Args, Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { serverFlags } from '../../cli/remote.js'
import { decideRemotely } from '../../control/decide.js'
import { DriftcoreError } from '../../errors/driftcore-error.js'
import { decideAsPerson } from '../../identity/person.js'

export default class ApprovalsApprove extends DriftcoreCommand<typeof ApprovalsApprove> {
  static override summary = 'Approve a pending request (bound to its exact input); with --run, run it now'
  static override description =
    'Only a person approves: not agents, ci:, workflow: or system: actors, and not the requester (unless the rule says ' +
    'self_approval: allowed and the approval is signed). Once the project lists approvers in .driftcore/allowed_signers, ' +
    'the approval is signed with your SSH key (--key, approvals.signing_key in your user config, or the first ssh-agent key ' +
    "listed there) and you are the key's principal; DRIFTCORE_ACTOR cannot name anyone else. The grant is recorded in the " +
    'audit log, which is what makes it count. With --run the call goes through the gate again on behalf of the requester: ' +
    'policy is evaluated again and the approval is used once.'
  static override examples = [
    '<%= config.bin %> approvals approve apr_0123456789ab',
    '<%= config.bin %> approvals approve apr_0123456789ab --comment "checked with the site owner" --run',
    'DRIFTCORE_SERVER=http://127.0.0.1:7800 <%= config.bin %> approvals approve apr_0123456789ab',
    '<%= config.bin %> approvals approve apr_0123456789ab --key ~/.ssh/id_ed25519_sk',
  ]
  static override args = { id: Args.string({ description: 'approval id', required: true }) }
  static override flags = {
    ...serverFlags,
    comment: Flags.string({ description: 'why you approve' }),
    run: Flags.boolean({ description: 'run the approved call now' }),
    key: Flags.string({
      description:
        'your SSH key to sign with: a private key, or a .pub whose key is in ssh-agent (default: approvals.signing_key, or ssh-agent)',
    }),
  }

  async run() {
    const remote = await this.remote()
    if (remote && this.flags.run)
      throw new DriftcoreError('invalid_input', '--run does not apply with --server', {
        hint: `approve it, then the requester repeats the call with --approval ${this.args.id}`,
      })
    const approval = remote
      ? (
          await decideRemotely(remote, this.args.id, 'approved', this.flags.comment, {
            key: this.flags.key,
            configDir: this.config.configDir,
          })
        ).approval
      : await decideAsPerson(
          await this.kernel(),
          this.args.id,
          this.actor(),
          'approved',
          this.flags.comment,
          {
            key: this.flags.key,
          },
        )
    if (approval.workflow) {
      // A workflow's approval step: the run continues when it is resumed, not through --run.
      if (!this.jsonEnabled())
        this.log(
          `approved ${approval.id} (${approval.tool}); continue the run with: driftcore workflow resume ${approval.workflow.run_id}`,
        )
      return { approval }
    }
    if (!this.flags.run) {
      if (!this.jsonEnabled())
        this.log(
          `approved ${approval.id} (${approval.tool}); the requester repeats the call with --approval ${approval.id}`,
        )
      return { approval }
    }
    if (approval.input === undefined) {
      throw new DriftcoreError(
        'invalid_input',
        `${approval.id} is approved, but its input was not stored because it looked secret`,
        {
          hint: `the requester repeats the call with --approval ${approval.id}`,
        },
      )
    }
    const kernel = await this.kernel()
    const result = await kernel.gate.invoke(approval.tool, approval.input, approval.requester, {
      approvalId: approval.id,
      traceId: approval.trace_id,
    })
    if (!this.jsonEnabled()) this.log(JSON.stringify(result.output, null, 2))
    return { approval, result }
  }
}
