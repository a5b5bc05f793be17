import { Args } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { configContext } from '../../cli/config-context.js'
import { resolveConfig } from '../../config/effective.js'
import { getPath, hasPath } from '../../config/layers.js'
import { DriftcoreError } from '../../errors/driftcore-error.js'

export default class ConfigGet extends DriftcoreCommand<typeof ConfigGet> {
  static override summary = 'Print the effective value of a config key'
  static override examples = [
    '<%= config.bin %> config get audit.fsync',
    '<%= config.bin %> config get launcher --json',
  ]
  static override args = { key: Args.string({ description: 'dotted key, e.g. audit.fsync', required: true }) }

  async run() {
    const { layers, sections } = await configContext(this.config, { ...this.flags, paths: this.paths() })
    const effective = resolveConfig(layers, sections)
    const keyPath = this.args.key.split('.')
    if (!hasPath(effective.values, keyPath)) {
      throw new DriftcoreError('not_found', `unknown config key "${this.args.key}"`, {
        hint: 'list every key with `driftcore config effective --explain`',
      })
    }
    const value = getPath(effective.values, keyPath)
    const origin = effective.origins[this.args.key] ?? 'default'
    if (!this.jsonEnabled()) this.log(typeof value === 'string' ? value : JSON.stringify(value, null, 2))
    return { key: this.args.key, value, layer: origin }
  }
}
