import { Flags } from '@oclif/core'
import { sourceArg } from '../../cli/source-flag.js'
import { DrushToolCommand } from '../../cli/tool-command.js'

interface Output {
  name: string
  file: string
  digest: string
  files: number
  tar: string | null
  previous: string | null
}

export default class DriftSnapshot extends DrushToolCommand<typeof DriftSnapshot> {
  static override summary = 'Save a baseline to check drift against: a manifest, its digest and the content'
  static override description =
    'Without --source the live site is exported first (drush config-export). The baseline is .driftcore/drift/baselines/<name>.json; a baseline it replaces is kept as an artifact.'
  static override examples = [
    '<%= config.bin %> drift snapshot --source config/sync',
    '<%= config.bin %> drift snapshot --name release-42',
  ]
  static override flags = {
    source: Flags.string({
      description: 'a config folder, .tar.gz or export (default: export the live site)',
    }),
    name: Flags.string({ default: 'main', description: 'the baseline name' }),
  }

  async run(): Promise<Output> {
    const source = this.flags.source ? sourceArg(this.flags.source) : await this.exportLive()
    const out = await this.callTool<Output>('drift.snapshot', { source, name: this.flags.name })
    if (!this.jsonEnabled()) {
      this.log(`baseline ${out.name}: ${out.files} objects, digest ${out.digest}\n  ${out.file}`)
      if (out.previous) this.note(`the baseline it replaced: ${out.previous}`)
    }
    return out
  }
}
