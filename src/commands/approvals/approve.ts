import { Args, Flags } from '@oclif/core'
import { decisionText } from '../../cli/decision.js'
import { serverFlags } from '../../cli/remote.js'
import { WorkflowCommand } from '../../cli/workflow-command.js'
import { decideRemotely } from '../../control/decide.js'
import { DriftcoreError } from '../../errors/driftcore-error.js'
import { decideAsPerson } from '../../identity/person.js'
import type { ApprovalRequest } from '../../approvals/approvals.js'
import { repeatHint, stillPendingLine } from '../../approvals/display.js'
import type { Actor } from '../../audit/record.js'

export default class ApprovalsApprove extends WorkflowCommand<typeof ApprovalsApprove> {
  static override summary =
    'Approve a pending request (bound to its exact input); with --run, run it now (or resume its workflow run)'
  static override description =
    'Only a person approves: not agents, ci:, workflow: or system: actors, and not the requester (unless the rule says ' +
    'self_approval: allowed and the approval is signed). A rule with approval.count: N needs N different people: each ' +
    'approval counts once per person (a key, or unsigned an OS account or token), the request stays pending, says "1 of 2", ' +
    'and nothing runs until the last one; a denial by any of them denies it. Once the project lists approvers in .driftcore/allowed_signers, ' +
    'the approval is signed with your SSH key (--key, approvals.signing_key in your user config, or the first ssh-agent key ' +
    "listed there) and you are the key's principal; DRIFTCORE_ACTOR cannot name anyone else. The grant is recorded in the " +
    'audit log, which is what makes it count. With --run the call goes through the gate again on behalf of the requester: ' +
    'policy is evaluated again and the approval is used once; for a workflow step, --run resumes its run (like ' +
    '`workflow resume`) and prints how the run stopped. An MCP client needs nothing: it repeats the same call, in this ' +
    'session or a later one, and the grant is found.'
  static override examples = [
    '<%= config.bin %> approvals approve apr_0123456789ab',
    '<%= config.bin %> approvals approve apr_0123456789ab --comment "checked with the site owner" --run',
    'DRIFTCORE_SERVER=http://127.0.0.1:7800 <%= config.bin %> approvals approve apr_0123456789ab',
    '<%= config.bin %> approvals approve apr_0123456789ab --key ~/.ssh/id_ed25519_sk',
    '<%= config.bin %> approvals approve apr_0123456789ab --run --json',
  ]
  static override args = { id: Args.string({ description: 'approval id', required: true }) }
  static override flags = {
    ...serverFlags,
    comment: Flags.string({ description: 'why you approve' }),
    run: Flags.boolean({ description: 'run the approved call now; for a workflow step, resume its run' }),
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
    if (approval.status === 'pending') {
      // A rule that needs several people: this one counted, and nothing runs yet.
      if (!this.jsonEnabled()) this.log(stillPendingLine(approval))
      return { approval }
    }
    if (approval.workflow) return this.continueRun(approval, Boolean(this.flags.run))
    if (!this.flags.run) {
      if (!this.jsonEnabled()) this.log(`approved ${approval.id} (${approval.tool}); ${repeatHint(approval)}`)
      return { approval }
    }
    if (approval.input === undefined) {
      throw new DriftcoreError(
        'invalid_input',
        `${approval.id} is approved, but its input was not stored because it looked secret`,
        {
          hint: repeatHint(approval),
        },
      )
    }
    const kernel = await this.kernel()
    const result = await kernel.gate.invoke(approval.tool, approval.input, approval.requester, {
      approvalId: approval.id,
      traceId: approval.trace_id,
    })
    if (!this.jsonEnabled()) {
      this.log(`approved ${approval.id} and ran ${approval.tool} for ${actorText(approval.requester)}`)
      this.note(
        `${approval.tool} · trace ${result.trace_id} · ${decisionText(result)} · ${Math.round(result.duration_ms)} ms`,
      )
      this.log(`output:\n${JSON.stringify(result.output, null, 2)}`)
    }
    return { approval, result }
  }

  /** The approval-step JSON stays one pretty object, as for every other command. */
  override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`)
  }

  // A workflow's step: the run continues when it is resumed; with --run, that happens here.
  private async continueRun(approval: ApprovalRequest, run: boolean) {
    const runId = approval.workflow!.run_id
    const resume = `driftcore workflow resume ${runId}`
    if (!run) {
      if (!this.jsonEnabled())
        this.log(
          `approved ${approval.id} (${approval.tool}); continue the run with: ${resume} (or approve with --run)`,
        )
      return { approval }
    }
    const workflows = await this.workflows()
    const current = await workflows.status(runId)
    if (current.state.status !== 'suspended' || current.owner) {
      // A run still waiting in its own process (--wait) continues there; one that stopped
      // otherwise has nothing to resume for this approval.
      const said = current.owner
        ? `run ${runId} is ${current.state.status} in process ${current.owner.pid}: it continues there on its own`
        : `run ${runId} is ${current.state.status}, not suspended: nothing was resumed`
      if (!this.jsonEnabled()) this.log(`approved ${approval.id} (${approval.tool}); ${said}`)
      return { approval, run: { run_id: runId, status: current.state.status, resumed: false } }
    }
    if (!this.jsonEnabled()) this.log(`approved ${approval.id} (${approval.tool}); resuming run ${runId}`)
    const { eventLine } = await import('../../workflow/view/format.js')
    const resumed = await workflows.resume(runId, {
      onEvent: (event) => {
        if (!this.jsonEnabled()) this.log(eventLine(event))
      },
      interrupt: this.interrupt(),
    })
    return { approval, run: { ...(await this.outcome(resumed.state)), resumed: true } }
  }
}

function actorText(actor: Actor | undefined): string {
  return actor ? `${actor.type}:${actor.id}` : 'nobody'
}
