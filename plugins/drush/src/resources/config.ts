import { DriftcoreError, defineResource } from 'driftcore/api'
import { looksSecret } from '../metadata/values.js'
import { drushSettings } from '../settings/sections.js'
import { latestExport } from '../state/exports.js'
import { currentMetadata, json } from './metadata-source.js'

export const configExported = defineResource({
  uri: 'driftcore://config/exported',
  name: 'config.exported',
  title: 'The latest config export',
  description:
    'The latest drush.configExport: the tarball reference, the manifest ({file, sha256, size} per object) and the digest over it.',
  mimeType: 'application/json',
  async read(_params, ctx) {
    const latest = await latestExport(ctx.paths)
    if (!latest) {
      throw new DriftcoreError('not_found', 'no config export yet', {
        hint: 'export with: driftcore drush config-export',
      })
    }
    const record = JSON.parse((await ctx.artifacts.get(latest.record)).toString('utf8')) as Record<
      string,
      unknown
    >
    return json({ record: latest.record, ...record })
  },
})

export const configState = defineResource({
  uri: 'driftcore://config/state',
  name: 'config.state',
  title: 'Safe state keys and config values',
  description:
    'The state keys (drush.state.keys) and config values (drush.state.config) the project allowlists, from the latest harvest (state needs Drush; config values also come from the config export). Keys that look like secrets are never served.',
  mimeType: 'application/json',
  async read(_params, ctx) {
    const m = await currentMetadata(ctx)
    const allowed = drushSettings(ctx.config).state
    const pick = (values: Record<string, unknown>, keys: readonly string[]) =>
      Object.fromEntries(keys.filter((k) => !looksSecret(k) && k in values).map((k) => [k, values[k]]))
    return json({
      source: { ...m.source, harvested_at: m.harvested_at },
      state: pick(m.state, allowed.keys),
      config: pick(m.config, allowed.config),
    })
  },
})
