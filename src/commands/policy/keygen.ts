import { Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { generateKeyPair } from '../../policy/signing.js'

export default class PolicyKeygen extends DriftcoreCommand<typeof PolicyKeygen> {
  static override summary = 'Create an ed25519 key pair for signing policy bundles'
  static override description =
    'Writes PREFIX.key (private, mode 0600: keep it out of the repository) and PREFIX.pub (add it to policy.trusted_keys).'
  static override examples = [
    '<%= config.bin %> policy keygen --out ~/.config/driftcore/policy-signing',
    '<%= config.bin %> config set policy.trusted_keys "[keys/policy.pub]"',
  ]
  static override flags = {
    out: Flags.string({ description: 'path prefix for the .key and .pub files', required: true }),
  }

  async run() {
    const result = await generateKeyPair(this.flags.out)
    if (!this.jsonEnabled())
      this.log(
        `private key: ${result.privateKey}\npublic key:  ${result.publicKey}\nfingerprint: ${result.fingerprint}`,
      )
    return result
  }
}
