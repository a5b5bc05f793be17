import { readFile } from 'node:fs/promises'
import { Args, Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { DriftcoreError } from '../../errors/driftcore-error.js'
import { parseBundle } from '../../policy/bundle.js'
import { loadTrustedKeys, signatureFile, verifySignature } from '../../policy/signing.js'

export default class PolicyVerify extends DriftcoreCommand<typeof PolicyVerify> {
  static override summary = "Check a bundle's validity and signature against the trusted keys (or --pub)"
  static override examples = [
    '<%= config.bin %> policy verify .driftcore/policy/project.yaml',
    '<%= config.bin %> policy verify draft.yaml --pub keys/policy.pub',
  ]
  static override args = { bundle: Args.string({ description: 'bundle file', required: true }) }
  static override flags = {
    pub: Flags.string({
      description: 'public key file to verify with (default: policy.trusted_keys)',
      multiple: true,
    }),
  }

  async run() {
    const kernel = await this.kernel()
    const bytes = await readFile(this.args.bundle)
    const bundle = parseBundle(bytes.toString('utf8'), this.args.bundle)
    const entries = this.flags.pub ?? kernel.config.values.policy.trusted_keys
    if (entries.length === 0) {
      throw new DriftcoreError(
        'invalid_input',
        'no key to verify with: policy.trusted_keys is empty and no --pub was given',
      )
    }
    // --pub paths are the user's (from here); policy.trusted_keys paths are the project's.
    const keys = await loadTrustedKeys(entries, this.flags.pub ? process.cwd() : kernel.paths.root)
    const signature = await readFile(signatureFile(this.args.bundle), 'utf8').catch(() => undefined)
    const signedBy = verifySignature(this.args.bundle, bytes, signature, keys)
    if (!this.jsonEnabled())
      this.log(
        `${this.args.bundle}: valid bundle "${bundle.name}" (${bundle.rules.length} rules), signed by ${signedBy}`,
      )
    return { bundle: this.args.bundle, name: bundle.name, rules: bundle.rules.length, signed_by: signedBy }
  }
}
