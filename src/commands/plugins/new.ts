import { Args, Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { newPlugin } from '../../project/plugin-template.js'

export default class PluginsNew extends DriftcoreCommand<typeof PluginsNew> {
  static override summary =
    'Create a new plugin from the template: one tool, its test, ready to pack and install'
  static override description =
    'NAME is the prefix the plugin owns: its tools are NAME.*, its package driftcore-plugin-NAME. ' +
    'The plugin needs nothing downloaded: driftcore and zod come from the driftcore that loads it.'
  static override examples = [
    '<%= config.bin %> plugins new weather',
    '<%= config.bin %> plugins new weather --dir plugins/weather --json',
  ]
  static override args = {
    name: Args.string({ required: true, description: 'the prefix it owns, e.g. weather' }),
  }
  static override flags = {
    dir: Flags.string({ description: 'where to write it (default: ./driftcore-plugin-NAME); must be empty' }),
  }

  async run() {
    const created = await newPlugin(this.args.name, this.flags.dir)
    if (!this.jsonEnabled()) {
      for (const file of created.files) this.log(`created ${created.dir}/${file}`)
      this.log(
        `\nnext: cd ${created.dir} && npm test · driftcore plugins link --no-install ${created.dir} · ` +
          `driftcore tools call ${created.name}.hello --input '{"name":"ada"}'`,
      )
    }
    return created
  }
}
