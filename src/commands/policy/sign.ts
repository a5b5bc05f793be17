import { Args, Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { parseBundle } from '../../policy/bundle.js'
import { signBundle } from '../../policy/signing.js'
import { readFile } from 'node:fs/promises'

export default class PolicySign extends DriftcoreCommand<typeof PolicySign> {
  static override summary = 'Sign a policy bundle (writes BUNDLE.sig beside it)'
  static override examples = [
    '<%= config.bin %> policy sign .driftcore/policy/project.yaml --key ~/.config/driftcore/policy-signing.key',
  ]
  static override args = { bundle: Args.string({ description: 'bundle file', required: true }) }
  static override flags = {
    key: Flags.string({ description: 'private key file (from policy keygen)', required: true }),
  }

  async run() {
    // Never sign what would be refused anyway.
    parseBundle(await readFile(this.args.bundle, 'utf8'), this.args.bundle)
    const signature = await signBundle(this.args.bundle, this.flags.key)
    if (!this.jsonEnabled()) this.log(`signed: ${signature}`)
    return { bundle: this.args.bundle, signature }
  }
}
