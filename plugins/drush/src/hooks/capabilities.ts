import { defineCapabilities } from 'driftcore/api'
import { configExported, configState } from '../resources/config.js'
import { guide, guidesIndex } from '../resources/guides.js'
import { entityTypes, fields, fieldsOfBundle, fieldsOfType, oneEntityType } from '../resources/schema.js'
import { driftSection, drushSection } from '../settings/sections.js'
import { cacheRebuild } from '../tools/cache-rebuild.js'
import { configExport } from '../tools/config-export.js'
import { configImport } from '../tools/config-import.js'
import { configStatus } from '../tools/config-status.js'
import { driftAccept } from '../tools/drift-accept.js'
import { driftCheck } from '../tools/drift-check.js'
import { driftSnapshot } from '../tools/drift-snapshot.js'
import { fieldInfo } from '../tools/field-info.js'
import { entitySchema, metadataCompare, metadataHarvest } from '../tools/metadata.js'
import { status } from '../tools/status.js'

/** Everything the plugin contributes; exported by name so tests register it without oclif. */
export const drushCapabilities = {
  tools: [
    status,
    cacheRebuild,
    configExport,
    configStatus,
    configImport,
    fieldInfo,
    entitySchema,
    metadataHarvest,
    metadataCompare,
    driftSnapshot,
    driftCheck,
    driftAccept,
  ],
  resources: [
    entityTypes,
    oneEntityType,
    fields,
    fieldsOfType,
    fieldsOfBundle,
    configExported,
    configState,
    guidesIndex,
    guide,
  ],
  config: { drush: drushSection, drift: driftSection },
}

export default defineCapabilities(drushCapabilities)
