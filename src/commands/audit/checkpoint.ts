import { DriftcoreCommand } from '../../cli/base-command.js'
import { checkpointSettings } from '../../audit/project-audit.js'

export default class AuditCheckpoint extends DriftcoreCommand<typeof AuditCheckpoint> {
  static override summary = "Sign the audit chain's head (seq, hash, time) with the project's checkpoint key"
  static override description =
    'Appends the checkpoint to .driftcore/audit-checkpoints.jsonl (one is also written automatically every ' +
    'audit.checkpoint_every records) and prints it. Save the --json output somewhere the agent cannot reach ' +
    '(a CI artifact, a git ref pushed to your remote) and check the log against it later with ' +
    '`audit verify --anchor FILE`. The key is created on first use (audit.checkpoint_key).'
  static override examples = [
    '<%= config.bin %> audit checkpoint',
    '<%= config.bin %> audit checkpoint --json > audit-anchor.json',
    '<%= config.bin %> audit verify --anchor audit-anchor.json',
  ]

  async run() {
    const kernel = await this.kernel()
    const checkpoint = await kernel.audit.checkpoint()
    const settings = checkpointSettings(kernel.paths, kernel.config.values.audit)
    if (!this.jsonEnabled())
      this.log(
        `checkpoint: seq ${checkpoint.seq}, hash ${checkpoint.hash}, signed by key ${checkpoint.key}\n` +
          `kept in ${settings.file}; public key ${settings.publicKeyFile}`,
      )
    return checkpoint
  }
}
