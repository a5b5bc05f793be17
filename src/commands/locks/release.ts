import { Args, Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'

export default class LocksRelease extends DriftcoreCommand<typeof LocksRelease> {
  static override summary = "Release a lock whose owner is gone (the owner's process crashed before its TTL)"
  static override examples = ['<%= config.bin %> locks release site:default --owner "human:alice/6f1c…"']
  static override args = { key: Args.string({ description: 'lock key', required: true }) }
  static override flags = {
    owner: Flags.string({ description: 'the owner to release, as shown by locks list', required: true }),
  }

  async run() {
    const kernel = await this.kernel()
    const released = (await kernel.locks.release(this.flags.owner, [this.args.key])).length
    await kernel.audit.record({
      type: 'lock.released',
      actor: this.actor(),
      subject: this.args.key,
      data: { owner: this.flags.owner, released },
    })
    if (!this.jsonEnabled())
      this.log(released > 0 ? `released ${this.args.key} held by ${this.flags.owner}` : 'nothing to release')
    return { key: this.args.key, owner: this.flags.owner, released }
  }
}
