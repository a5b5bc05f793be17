import { readFile } from 'node:fs/promises'
import { writeFileAtomic } from '../store/atomic-write.js'
import { withFileLock } from '../store/file-lock.js'
import { parseYaml, positionOf } from '../store/yaml.js'
import { yamlLib } from '../store/yaml-lib.js'
import { resolveConfig, type EffectiveConfig } from './effective.js'
import { isPlainObject, type ConfigLayer } from './layers.js'
import type { ConfigSections } from './schema.js'

/**
 * Sets one key in a layer file, keeping the file's comments and layout. The new layer is
 * validated together with every other layer before anything is written, so a bad value
 * never reaches disk.
 */
export async function setConfigValue(options: {
  layers: ConfigLayer[]
  layerName: 'project' | 'user'
  file: string
  keyPath: string[]
  value: unknown
  /** Remove the key (and the maps it leaves empty) instead of setting it. */
  unset?: boolean
  sections?: ConfigSections
}): Promise<EffectiveConfig> {
  return withFileLock(options.file, async () => {
    let text = ''
    try {
      text = await readFile(options.file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
    const yaml = yamlLib()
    const existing = yaml.parseDocument(text)
    const doc = isPlainObject(existing.toJS()) ? existing : new yaml.Document({})
    if (options.unset) {
      doc.deleteIn(options.keyPath)
      for (let n = options.keyPath.length - 1; n > 0; n--) {
        const parent = doc.getIn(options.keyPath.slice(0, n)) as { items?: unknown[] } | undefined
        if (parent?.items?.length === 0) doc.deleteIn(options.keyPath.slice(0, n))
      }
    } else doc.setIn(options.keyPath, options.value)
    const next = doc.toString()
    const parsed = parseYaml(next, options.file)
    const layer: ConfigLayer = {
      name: options.layerName,
      file: options.file,
      values: parsed.value as Record<string, unknown>,
      locate: (keyPath, at) => positionOf(parsed, keyPath, at),
    }
    const layers = options.layers.some((l) => l.name === options.layerName)
      ? options.layers.map((l) => (l.name === options.layerName ? layer : l))
      : insertLayer(options.layers, layer)
    const effective = resolveConfig(layers, options.sections)
    await writeFileAtomic(options.file, next)
    return effective
  })
}

// Keeps precedence order when the layer had no file yet: user after default, project after user.
function insertLayer(layers: ConfigLayer[], layer: ConfigLayer): ConfigLayer[] {
  const after = layer.name === 'user' ? ['default'] : ['default', 'user']
  const index = layers.findLastIndex((l) => after.includes(l.name)) + 1
  return [...layers.slice(0, index), layer, ...layers.slice(index)]
}
