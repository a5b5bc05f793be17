import { readFileSync } from 'node:fs'
import type { EntityTypeMeta, FieldMeta } from './model.js'

/** An entity type as Drupal core declares it in code, with its base fields. */
export interface CoreDefinition extends Omit<EntityTypeMeta, 'bundles'> {
  base_fields: Record<string, FieldMeta>
}

interface Definitions {
  drupal_version: string
  /** The modules enabled where the definitions were taken: other modules' additions are not known. */
  modules: string[]
  entity_types: Record<string, CoreDefinition>
}

/**
 * What a config export cannot say: the entity types and base fields Drupal core defines in
 * code (`baseFieldDefinitions()`), as Drupal 10.3 reported them on a live site
 * (data/drupal-core-entity-types.json, written by scripts/core-definitions.mjs from a drush
 * harvest). Read once, on first use.
 */
export function coreDefinitions(): Definitions {
  cached ??= JSON.parse(
    readFileSync(new URL('../../data/drupal-core-entity-types.json', import.meta.url), 'utf8'),
  ) as Definitions
  return cached
}
let cached: Definitions | undefined

/** The config that holds a bundle entity type's bundles: its prefix, id key and label key. */
export const BUNDLE_CONFIG: Record<string, [prefix: string, id: string, label: string]> = {
  node_type: ['node.type.', 'type', 'name'],
  taxonomy_vocabulary: ['taxonomy.vocabulary.', 'vid', 'name'],
  block_content_type: ['block_content.type.', 'id', 'label'],
  comment_type: ['comment.type.', 'id', 'label'],
  contact_form: ['contact.form.', 'id', 'label'],
  shortcut_set: ['shortcut.set.', 'id', 'label'],
  media_type: ['media.type.', 'id', 'label'],
  paragraphs_type: ['paragraphs.paragraphs_type.', 'id', 'label'],
}
