import { Args, Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { configContext } from '../../cli/config-context.js'
import { setConfigValue } from '../../config/edit.js'
import { getPath, parseValue } from '../../config/layers.js'

export default class ConfigSet extends DriftcoreCommand<typeof ConfigSet> {
  static override summary = 'Set a config key in the project or user layer'
  static override description =
    'VALUE is read as YAML, so numbers, booleans and lists keep their type. The whole config is validated ' +
    'before the file is written; an invalid value changes nothing. Comments in the file are kept.'
  static override examples = [
    '<%= config.bin %> config set audit.fsync always',
    "<%= config.bin %> config set launcher.allowlist '[git, php, drush]'",
    '<%= config.bin %> config set project.environment prod --layer user',
  ]
  static override args = {
    key: Args.string({ description: 'dotted key, e.g. audit.fsync', required: true }),
    value: Args.string({ description: 'the value, as YAML', required: true }),
  }
  static override flags = {
    layer: Flags.string({
      options: ['project', 'user'],
      default: 'project',
      description: 'which layer file to write',
    }),
  }

  async run() {
    const { paths, layers, sections, userFile } = await configContext(this.config, this.flags)
    const layerName = this.flags.layer as 'project' | 'user'
    const file = layerName === 'project' ? paths.config : userFile
    const keyPath = this.args.key.split('.')
    const effective = await setConfigValue({
      layers,
      layerName,
      file,
      keyPath,
      value: parseValue(this.args.value),
      sections,
    })
    const value = getPath(effective.values, keyPath)
    const origin = effective.origins[this.args.key]
    if (origin && origin !== layerName)
      this.note(`note: the ${origin} layer overrides ${this.args.key}, so the effective value is unchanged`)
    if (!this.jsonEnabled()) this.log(`${this.args.key} = ${JSON.stringify(value)} (${file})`)
    return { key: this.args.key, value, layer: layerName, file, hash: effective.hash }
  }
}
