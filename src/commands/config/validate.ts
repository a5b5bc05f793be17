import { DriftcoreCommand } from '../../cli/base-command.js'
import { configContext } from '../../cli/config-context.js'
import { resolveConfig } from '../../config/effective.js'

export default class ConfigValidate extends DriftcoreCommand<typeof ConfigValidate> {
  static override summary =
    'Check every config layer; errors name file:line:col, the env variable or the flag'
  static override examples = ['<%= config.bin %> config validate', '<%= config.bin %> config validate --json']

  async run() {
    const { layers, sections } = await configContext(this.config, { ...this.flags, paths: this.paths() })
    const effective = resolveConfig(layers, sections)
    const files = layers.filter((l) => l.file).map((l) => l.file!)
    if (!this.jsonEnabled())
      this.log(
        `config is valid (${files.length} file${files.length === 1 ? '' : 's'}; sha256 ${effective.hash})`,
      )
    return { valid: true, files, hash: effective.hash, version: effective.version }
  }
}
