import { DriftcoreCommand } from '../../cli/base-command.js'
import { table } from '../../cli/format.js'
import { ERROR_CODES } from '../../errors/driftcore-error.js'

export default class ApproversList extends DriftcoreCommand<typeof ApproversList> {
  static override summary = 'List the approvers in force: principals and key fingerprints'
  static override description =
    'What is in force is the last approvers.changed record in the audit log; when .driftcore/allowed_signers ' +
    `differs from it (edited, created or deleted by hand) that is reported and the command exits ${ERROR_CODES.integrity}.`
  static override examples = ['<%= config.bin %> approvers list', '<%= config.bin %> approvers list --json']

  async run() {
    const kernel = await this.kernel()
    const state = await kernel.approvers.state()
    const { sshFingerprint } = await import('../../identity/ssh-keygen.js')
    const approvers = await Promise.all(
      state.entries.map(async (e) => ({
        principal: e.principal,
        fingerprint: await sshFingerprint(e.key),
        key: e.key,
        ...(e.options ? { options: e.options } : {}),
      })),
    )
    const result = {
      file: state.file,
      signing_required: await kernel.approvals.signingRequired(),
      approvers,
      ...(state.recorded ? { recorded: { seq: state.recorded.seq, hash: state.recorded.hash } } : {}),
      ...(state.problem ? { problem: state.problem } : {}),
    }
    if (state.problem) process.exitCode = ERROR_CODES.integrity
    if (!this.jsonEnabled()) {
      if (approvers.length === 0)
        this.log(
          `no approvers: approvals are not signed (add one with \`driftcore approvers add NAME --key FILE\`)`,
        )
      else this.log(table(approvers, ['principal', 'fingerprint']))
      if (state.problem) process.stderr.write(`Error: ${state.problem}\n`)
    }
    return result
  }
}
