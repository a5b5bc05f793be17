import { Flags } from '@oclif/core'
import { ScaffoldToolCommand } from '../../cli/tool-command.js'

export default class SandboxReset extends ScaffoldToolCommand<typeof SandboxReset> {
  static override summary = 'Put the sandbox back exactly as its snapshot recorded it'
  static override description =
    "Rewrites only what changed since the snapshot (found by comparing every entry's lstat with the stat cache, ctime included, to under a microsecond) and reads back what it rewrote. --verify trusts no cache: it rebuilds git's index from the snapshot and recomputes the tree hash over every file."
  static override examples = [
    '<%= config.bin %> sandbox reset',
    '<%= config.bin %> sandbox reset --verify --json',
  ]
  static override flags = {
    verify: Flags.boolean({
      description: "trust no cache: rebuild git's index and recompute the tree hash (reads every file)",
    }),
  }

  async run() {
    const out = await this.callWithApproval<{
      tree_hash: string
      was_clean: boolean
      files: number
      proof: 'stat' | 'hash'
    }>('sandbox.reset', { verify: this.flags.verify })
    this.show(
      `${out.was_clean ? 'already at' : 'reset to'} the snapshot · ${out.files} files · tree ${out.tree_hash} · proved by ${out.proof === 'hash' ? 'reading every file' : 'stat cache'}`,
    )
    return out
  }
}
