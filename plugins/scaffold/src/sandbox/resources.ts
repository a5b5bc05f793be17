import { defineResource, type ResourceDefinition } from 'driftcore/api'
import { readMarker, sandboxLayout } from './layout.js'
import { readManifest, summariseSnapshot } from './manifest.js'

const status = defineResource({
  uri: 'driftcore://sandbox/status',
  name: 'sandbox-status',
  title: 'The sandbox and its snapshot',
  description:
    'Where the sandbox site is, whether it exists, where it was copied from, and its snapshot (commit, tree hash, size).',
  mimeType: 'application/json',
  async read(_params, ctx) {
    const layout = sandboxLayout(ctx.paths, ctx.config)
    const marker = await readMarker(layout)
    const manifest = marker ? await readManifest(layout) : undefined
    const text = JSON.stringify(
      {
        path: layout.site,
        modules_dir: layout.modulesRel,
        isolation: layout.config.isolation,
        initialised: marker !== undefined,
        from: marker?.from ?? null,
        snapshot: manifest ? summariseSnapshot(manifest) : null,
      },
      null,
      2,
    )
    return { text, mimeType: 'application/json' }
  },
})

export const sandboxResources: ResourceDefinition[] = [status]
