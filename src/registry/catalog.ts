import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import type { Config as OclifConfig } from '@oclif/core'
import { writeFileAtomic } from '../store/atomic-write.js'
import { sha256 } from '../store/hash.js'
import type { Registry } from './registry.js'

export interface CatalogTool {
  id: string
  title: string | null
  description: string
  capability: string
  risk: string[]
  requires: string[]
  plugin: string
  input_schema: Record<string, unknown>
  output_schema: Record<string, unknown>
}

export interface CatalogResource {
  uri: string
  name: string
  description: string
  mimeType: string
  template: boolean
  plugin: string
}

/** The registry as plain data: what `tools list|describe` and `resources list` print. */
export interface Catalog {
  tools: CatalogTool[]
  resources: CatalogResource[]
  /** Plugins whose contributions were refused, and why (the commands warn about each). */
  refused: { plugin: string; message: string; hint: string | null }[]
}

export function catalogOf(
  registry: Registry,
  jsonSchema: (
    schema: Parameters<typeof Registry.jsonSchema>[0],
    io: 'input' | 'output',
  ) => Record<string, unknown>,
): Catalog {
  return {
    tools: registry.tools().map((t) => ({
      id: t.id,
      title: t.title ?? null,
      description: t.description,
      capability: t.capability,
      risk: t.risk,
      requires: t.requires ?? [],
      plugin: t.plugin,
      input_schema: jsonSchema(t.input, 'input'),
      output_schema: jsonSchema(t.output, 'output'),
    })),
    resources: registry.resources().map((r) => ({
      uri: r.uri,
      name: r.name,
      description: r.description,
      mimeType: r.mimeType,
      template: r.template,
      plugin: r.plugin,
    })),
    refused: registry.refused().map(({ plugin, error }) => ({
      plugin,
      message: error.message,
      hint: error.hint ?? null,
    })),
  }
}

/**
 * The catalog, from a cache in oclif's cache dir while the installed plugins are unchanged.
 * Listing tools then costs reading one file instead of loading every plugin and zod, as oclif's
 * own command manifest does for commands. The key covers each plugin's name, version, root and
 * the modification times of its package.json, oclif manifest and capabilities hook, so an
 * install, uninstall, link or rebuild invalidates it.
 */
export async function cachedCatalog(oclif: OclifConfig, build: () => Promise<Catalog>): Promise<Catalog> {
  const file = path.join(oclif.cacheDir, 'catalog.json')
  const key = await pluginsFingerprint(oclif)
  try {
    const cached = JSON.parse(await readFile(file, 'utf8')) as { key: string; catalog: Catalog }
    if (cached.key === key && Array.isArray(cached.catalog.refused)) return cached.catalog
  } catch {
    // no cache yet, or unreadable: rebuild it
  }
  const catalog = await build()
  await writeFileAtomic(file, JSON.stringify({ key, catalog }), { sync: false }).catch(() => undefined)
  return catalog
}

async function pluginsFingerprint(oclif: OclifConfig): Promise<string> {
  const parts = await Promise.all(
    oclif.getPluginsList().map(async (plugin) => {
      const hooks = (plugin.pjson.oclif?.hooks?.['driftcore:capabilities'] ?? []) as
        string | string[] | { target: string }[]
      const hookFiles = (Array.isArray(hooks) ? hooks : [hooks]).map((h) =>
        typeof h === 'string' ? h : h.target,
      )
      const files = ['package.json', 'oclif.manifest.json', ...hookFiles].map((f) =>
        path.join(plugin.root, f),
      )
      const times = await Promise.all(
        files.map((f) =>
          stat(f).then(
            (s) => s.mtimeMs,
            () => 0,
          ),
        ),
      )
      return [plugin.name, plugin.version, plugin.root, plugin.type, ...times]
    }),
  )
  // oclif loads plugins in parallel, so their order varies from run to run: sort it out.
  return sha256(JSON.stringify(parts.sort((a, b) => String(a[0]).localeCompare(String(b[0])))))
}
