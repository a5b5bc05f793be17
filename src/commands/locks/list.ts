import { DriftcoreCommand } from '../../cli/base-command.js'
import { table } from '../../cli/format.js'

export default class LocksList extends DriftcoreCommand<typeof LocksList> {
  static override summary = 'List held locks with owner, mode and expiry'
  static override examples = ['<%= config.bin %> locks list', '<%= config.bin %> locks list --json']

  async run() {
    const kernel = await this.kernel()
    const locks = await kernel.locks.list()
    if (!this.jsonEnabled())
      this.log(
        table(
          locks.flatMap((l) => l.holders.map((h) => ({ key: l.key, ...h }))),
          ['key', 'mode', 'owner', 'expires_at'],
        ),
      )
    return locks
  }
}
