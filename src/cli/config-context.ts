import type { Config as OclifConfig } from '@oclif/core'
import { readConfigLayers, userConfigFile } from '../config/effective.js'
import type { ConfigLayer } from '../config/layers.js'
import type { ConfigSections } from '../config/schema.js'
import { loadContributions } from '../kernel/contributions.js'
import { Registry } from '../registry/registry.js'
import { discoverProject, type ProjectPaths } from '../store/paths.js'

/**
 * What the config commands need without opening the kernel: they must work when the config
 * is broken, since they are how a user repairs it.
 */
export async function configContext(
  oclif: OclifConfig,
  flags: { home?: string | undefined; config?: string[] | undefined; paths?: ProjectPaths },
): Promise<{ paths: ProjectPaths; layers: ConfigLayer[]; sections: ConfigSections; userFile: string }> {
  const paths = flags.paths ?? discoverProject({ home: flags.home }).paths
  const { registry } = Registry.create(await loadContributions(oclif))
  for (const { error } of registry.refused())
    process.stderr.write(`Warning: ${error.message}\n${error.hint ? `  ${error.hint}\n` : ''}`)
  const sections = registry.configSections()
  const layers = await readConfigLayers({
    paths,
    flags: flags.config ?? [],
    sections,
    userConfigDir: oclif.configDir,
  })
  return { paths, layers, sections, userFile: userConfigFile(oclif.configDir, process.env) }
}
