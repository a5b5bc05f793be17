import { Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { configContext } from '../../cli/config-context.js'
import { table } from '../../cli/format.js'
import { resolveConfig } from '../../config/effective.js'
import { getPath } from '../../config/layers.js'

export default class ConfigEffective extends DriftcoreCommand<typeof ConfigEffective> {
  static override summary = 'Show the merged config in force, and with --explain which layer set each key'
  static override description =
    'Layers, lowest first: default → user (' +
    'oclif config dir) → project (.driftcore/config.yaml) → packs → DRIFTCORE_* env → --config flags. ' +
    'Packs, env and flags may not set protected keys (policy, launcher, audit, approvals, project.environment, ' +
    'sandbox isolation and limits, mcp.elicitation…) unless the project config lists them in config.allow_overrides.'
  static override examples = [
    '<%= config.bin %> config effective',
    '<%= config.bin %> config effective --explain',
    'DRIFTCORE_WORKFLOW__CONCURRENCY=4 <%= config.bin %> config effective --explain --json',
  ]
  static override flags = { explain: Flags.boolean({ description: 'show the layer that set each key' }) }

  async run() {
    const { layers, sections } = await configContext(this.config, { ...this.flags, paths: this.paths() })
    const effective = resolveConfig(layers, sections)
    const keys = Object.keys(effective.origins).sort()
    const explained = keys.map((key) => ({
      key,
      value: getPath(effective.values, key.split('.')),
      layer: effective.origins[key],
    }))
    if (!this.jsonEnabled()) {
      if (this.flags.explain) this.log(table(explained, ['key', 'value', 'layer'], { wrap: ['value'] }))
      else this.log(JSON.stringify(effective.values, null, 2))
      this.log(`\nversion ${effective.version}\nsha256 ${effective.hash}`)
    }
    return {
      values: effective.values,
      version: effective.version,
      hash: effective.hash,
      ...(this.flags.explain
        ? { keys: explained, layers: layers.map((l) => ({ name: l.name, file: l.file ?? null })) }
        : {}),
    }
  }
}
