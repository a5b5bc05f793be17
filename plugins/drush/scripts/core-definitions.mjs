#!/usr/bin/env node
// Writes data/drupal-core-entity-types.json: the entity types and base fields Drupal core
// declares in code, taken from a drush-source metadata harvest (php/harvest.php run on a real
// site), so a harvest from a config export alone can know them. Only what core defines is
// kept: every bundle's configurable fields are dropped, and a base field is taken from a bundle
// that has no core.base_field_override for it (the site's sync folder says which).
//   node scripts/core-definitions.mjs <harvest.json> <sync folder> > data/drupal-core-entity-types.json
import { readdirSync, readFileSync } from 'node:fs'

const [harvestFile, syncDir] = process.argv.slice(2)
if (!harvestFile || !syncDir) {
  process.stderr.write('usage: core-definitions.mjs <harvest.json> <sync folder>\n')
  process.exit(2)
}
const harvest = JSON.parse(readFileSync(harvestFile, 'utf8'))
const overridden = new Set(
  readdirSync(syncDir)
    .filter((f) => f.startsWith('core.base_field_override.'))
    .map((f) => f.slice('core.base_field_override.'.length, -4)),
)
const types = {}
for (const [id, type] of Object.entries(harvest.entity_types).sort(([a], [b]) => a.localeCompare(b))) {
  const { bundles, ...definition } = type
  const base = {}
  for (const [bundle, meta] of Object.entries(bundles)) {
    for (const [name, field] of Object.entries(meta.fields)) {
      if (!field.base) continue
      if (!(name in base) || overridden.has(`${id}.${bundle}.${name}`) === false) {
        if (!(name in base) || base[name].from_override)
          base[name] = { ...field, from_override: overridden.has(`${id}.${bundle}.${name}`) }
      }
    }
  }
  for (const f of Object.values(base)) delete f.from_override
  types[id] = { ...definition, base_fields: base }
}
// The modules that were enabled: what other modules add to entity types is not in here.
const extension = readFileSync(`${syncDir}/core.extension.yml`, 'utf8')
const modules = [
  ...extension
    .split(/^module:/m)[1]
    .split(/^theme:/m)[0]
    .matchAll(/^ {2}([a-z0-9_]+):/gm),
]
  .map((m) => m[1])
  .sort()
process.stdout.write(
  JSON.stringify({ drupal_version: harvest.drupal_version, modules, entity_types: types }, null, 1) + '\n',
)
