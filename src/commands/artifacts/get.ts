import { writeFile } from 'node:fs/promises'
import { Args, Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'

export default class ArtifactsGet extends DriftcoreCommand<typeof ArtifactsGet> {
  static override summary = 'Print an artifact (or write it to a file); its hash is checked first'
  static override examples = [
    '<%= config.bin %> artifacts get artifact://sha256/9f86d0…',
    '<%= config.bin %> artifacts get artifact://sha256/9f86d0… --out export.tar.gz',
  ]
  static override args = {
    ref: Args.string({ description: 'artifact://sha256/… or the bare hash', required: true }),
  }
  static override flags = {
    out: Flags.string({ char: 'o', description: 'write to this file instead of stdout' }),
  }

  async run() {
    const kernel = await this.kernel()
    const bytes = await kernel.artifacts.get(this.args.ref)
    if (this.flags.out) {
      await writeFile(this.flags.out, bytes)
      if (!this.jsonEnabled()) this.log(`wrote ${bytes.length} bytes to ${this.flags.out}`)
    } else if (!this.jsonEnabled()) process.stdout.write(bytes)
    return { ref: this.args.ref, size: bytes.length, ...(this.flags.out ? { out: this.flags.out } : {}) }
  }
}
