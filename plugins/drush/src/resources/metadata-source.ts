import { DriftcoreError, isDriftcoreError, type ResourceContext } from 'driftcore/api'
import { harvestFromConfig } from '../metadata/harvest.js'
import type { SiteMetadata } from '../metadata/model.js'
import { loadSnapshot } from '../metadata/snapshots.js'
import { drushSettings } from '../settings/sections.js'

/**
 * The metadata the resources serve: the latest harvest when there is one, otherwise the
 * site's config export (drush.config_dir) read on the spot.
 */
export async function currentMetadata(ctx: ResourceContext): Promise<SiteMetadata> {
  const latest = await loadSnapshot(ctx, 'latest')
  if (latest) return latest.metadata
  try {
    return await harvestFromConfig(ctx)
  } catch (error) {
    if (!isDriftcoreError(error, 'not_found')) throw error
    throw new DriftcoreError('not_found', 'no site metadata yet: no harvest, and no config export to read', {
      hint: `run \`driftcore drush metadata-harvest\`, or point drush.config_dir at the site's config export (now ${drushSettings(ctx.config).config_dir})`,
      cause: error,
    })
  }
}

export function json(value: unknown): { text: string; mimeType: string } {
  return { text: JSON.stringify(value, null, 2), mimeType: 'application/json' }
}
