import { DriftcoreCommand } from '../../cli/base-command.js'
import { table } from '../../cli/format.js'

export default class PolicySnapshots extends DriftcoreCommand<typeof PolicySnapshots> {
  static override summary =
    'List policy snapshots; the current one is marked, and any that fails verification'
  static override description =
    'Each snapshot is verified as it is listed: its hash, and with policy.trusted_keys the signatures of its bundles ' +
    'under the keys trusted now. One that fails never decides anything; `driftcore doctor` reports it too.'
  static override examples = [
    '<%= config.bin %> policy snapshots',
    '<%= config.bin %> policy snapshots --json',
  ]

  async run() {
    const kernel = await this.kernel()
    const list = await kernel.policyStore.list()
    if (!this.jsonEnabled()) {
      const rows = list.snapshots.map((s) => ({
        current: s.version === list.current ? (list.pinned ? '* (pinned)' : '*') : '',
        version: s.version,
        hash: s.hash.slice(0, 16),
        created_at: s.created_at,
        by: `${s.created_by.type}:${s.created_by.id}`,
        verified: s.verified ? 'yes' : `NO: ${s.problem ?? ''}`,
      }))
      this.log(table(rows, ['current', 'version', 'hash', 'created_at', 'by', 'verified']))
    }
    return list
  }
}
