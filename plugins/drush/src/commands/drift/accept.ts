import { Flags } from '@oclif/core'
import { sourceArg } from '../../cli/source-flag.js'
import { DrushToolCommand } from '../../cli/tool-command.js'

interface Output {
  baseline: string
  written: string[]
  deleted: string[]
  previous: string
  digest: string
}

export default class DriftAccept extends DrushToolCommand<typeof DriftAccept> {
  static override summary = "Accept the site's version of some objects into the baseline (re-export them)"
  static override description =
    'The baseline (a config folder such as config/sync, or a saved baseline) takes the current version of each --object; its state before is kept as an artifact. It changes files, so the default policy asks a person to approve it first.'
  static override examples = [
    '<%= config.bin %> drift accept --baseline config/sync --current artifact://sha256/… --object node.type.event',
    '<%= config.bin %> drift accept --baseline main --current config/sync --object system.site --approval apr_0123456789ab',
  ]
  static override flags = {
    baseline: Flags.string({ required: true, description: 'a config folder or a baseline name' }),
    current: Flags.string({ description: "the site's current export (default: export the live site)" }),
    object: Flags.string({ required: true, multiple: true, description: 'an object to accept (repeatable)' }),
    ...DrushToolCommand.approvalFlag,
  }

  async run(): Promise<Output> {
    const current = this.flags.current ? sourceArg(this.flags.current) : await this.exportLive()
    const out = await this.callTool<Output>(
      'drift.accept',
      { baseline: sourceArg(this.flags.baseline), current, objects: this.flags.object },
      this.flags.approval,
    )
    if (!this.jsonEnabled()) {
      this.log(
        `accepted into ${out.baseline}: wrote ${out.written.join(', ') || 'nothing'}; deleted ${out.deleted.join(', ') || 'nothing'}`,
      )
      this.note(`the baseline before: ${out.previous}`)
    }
    return out
  }
}
