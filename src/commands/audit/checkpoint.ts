import { Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { checkpointSettings } from '../../audit/project-audit.js'
import { personCheckpointSigner } from '../../identity/checkpoint-signer.js'

export default class AuditCheckpoint extends DriftcoreCommand<typeof AuditCheckpoint> {
  static override summary =
    "Sign the audit chain's head (seq, hash, time): with your SSH key when you have one, else the project's key"
  static override description =
    'Appends the checkpoint to .driftcore/audit-checkpoints.jsonl (one is also written automatically every ' +
    'audit.checkpoint_every records, with the project key) and prints it. When you have a signing key (--key, ' +
    'approvals.signing_key, or an ssh-agent key listed in .driftcore/allowed_signers) the checkpoint is signed with it ' +
    '(namespace driftcore-audit-checkpoint): an agent that can read the project key still cannot forge it, and anyone ' +
    'with your public key can check it (`audit verify --allowed-signers FILE`). Save the --json output somewhere the ' +
    'agent cannot reach (a CI artifact, a git ref pushed to your remote) and check the log against it later with ' +
    '`audit verify --anchor FILE`. The project key is created on first use (audit.checkpoint_key).'
  static override examples = [
    '<%= config.bin %> audit checkpoint',
    '<%= config.bin %> audit checkpoint --key ~/.ssh/id_ed25519',
    '<%= config.bin %> audit checkpoint --json > audit-anchor.json',
    '<%= config.bin %> audit verify --anchor audit-anchor.json',
  ]
  static override flags = {
    key: Flags.string({
      description: 'your SSH key to sign with (default: approvals.signing_key, or ssh-agent)',
    }),
    'project-key': Flags.boolean({
      description: "sign with the project's checkpoint key even when you have an SSH key",
    }),
  }

  async run() {
    const kernel = await this.kernel()
    const sign = this.flags['project-key']
      ? undefined
      : await personCheckpointSigner(kernel, { key: this.flags.key })
    const checkpoint = await kernel.audit.checkpoint(sign)
    const settings = checkpointSettings(kernel.paths, kernel.config.values.audit)
    if (!this.jsonEnabled())
      this.log(
        checkpoint.format === 'ssh'
          ? `checkpoint: seq ${checkpoint.seq}, hash ${checkpoint.hash}, signed by ${checkpoint.principal} (${checkpoint.key})\n` +
              `kept in ${settings.file}; check it with allowed_signers`
          : `checkpoint: seq ${checkpoint.seq}, hash ${checkpoint.hash}, signed by key ${checkpoint.key}\n` +
              `kept in ${settings.file}; public key ${settings.publicKeyFile}`,
      )
    return checkpoint
  }
}
