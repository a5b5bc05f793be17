<?php

/**
 * @file
 * The driftcore metadata harvest: a Drupal site's entity types and fields as JSON.
 *
 * Drupal runs it through Drush after a full bootstrap:
 *
 *   drush php:script /path/to/harvest.php -- [--entity-type=ID]... [--state=KEY]... [--config=NAME:KEY]...
 *
 * Drush includes this file with the words after `--` in $extra. It only reads: entity type
 * definitions, bundle info, field definitions (base fields included), and the state keys and
 * config values it is asked for. It prints one JSON line between two marker lines, so whatever
 * else Drush or a module prints on stdout is ignored by driftcore.
 *
 * Everything is local to this file (closures, no functions or globals of its own), because
 * Drush includes it inside a method and a site may include other scripts in the same process.
 */

$driftcore_args = isset($extra) && is_array($extra) ? $extra : [];
$driftcore_only = [];
$driftcore_state_keys = [];
$driftcore_config_keys = [];
foreach ($driftcore_args as $driftcore_arg) {
  if (preg_match('/^--entity-type=([a-z0-9_]+)$/', $driftcore_arg, $m)) {
    $driftcore_only[] = $m[1];
  }
  elseif (preg_match('/^--state=([a-z0-9_.]+)$/', $driftcore_arg, $m)) {
    $driftcore_state_keys[] = $m[1];
  }
  elseif (preg_match('/^--config=([a-z0-9_.]+):([a-z0-9_.]+)$/', $driftcore_arg, $m)) {
    $driftcore_config_keys[] = [$m[1], $m[2]];
  }
}

// A key that may hold a credential is never read, even when asked for (hash_salt, api_key…).
$driftcore_secret = static function (string $name): bool {
  return (bool) preg_match('/(^|[._:])[a-z0-9_]*(pass|password|secret|token|key|salt|credential|private)(_|\.|:|$)/i', $name);
};

// Settings may hold markup objects and other values json_encode cannot write faithfully.
$driftcore_plain = static function ($value) use (&$driftcore_plain) {
  if (is_array($value)) {
    $out = [];
    foreach ($value as $k => $v) {
      $out[$k] = $driftcore_plain($v);
    }
    return $out;
  }
  if (is_object($value)) {
    return method_exists($value, '__toString') ? (string) $value : NULL;
  }
  return $value;
};

$driftcore_field = static function ($definition) use ($driftcore_plain): array {
  $storage = $definition->getFieldStorageDefinition();
  $settings = $definition->getSettings();
  $handler = isset($settings['handler_settings']) && is_array($settings['handler_settings']) ? $settings['handler_settings'] : [];
  $targets = $handler['target_bundles'] ?? NULL;
  // At run time list fields hold their options as key => label.
  $allowed = $settings['allowed_values'] ?? NULL;
  return [
    'name' => (string) $definition->getName(),
    'label' => (string) $definition->getLabel(),
    'description' => (string) $definition->getDescription(),
    'type' => (string) $definition->getType(),
    'required' => (bool) $definition->isRequired(),
    'cardinality' => (int) $storage->getCardinality(),
    'base' => (bool) $storage->isBaseField(),
    'translatable' => (bool) $definition->isTranslatable(),
    'settings' => (object) $driftcore_plain($settings),
    'target_type' => isset($settings['target_type']) ? (string) $settings['target_type'] : NULL,
    'target_bundles' => is_array($targets) ? array_map('strval', array_keys($targets)) : NULL,
    'allowed_values' => is_array($allowed) ? array_keys($allowed) : NULL,
  ];
};

$driftcore_types = [];
$driftcore_bundle_info = \Drupal::service('entity_type.bundle.info');
$driftcore_field_manager = \Drupal::service('entity_field.manager');
foreach (\Drupal::entityTypeManager()->getDefinitions() as $driftcore_id => $driftcore_type) {
  if ($driftcore_only && !in_array($driftcore_id, $driftcore_only, TRUE)) {
    continue;
  }
  $driftcore_bundles = [];
  if ($driftcore_type->entityClassImplements('Drupal\Core\Entity\FieldableEntityInterface')) {
    foreach ($driftcore_bundle_info->getBundleInfo($driftcore_id) as $driftcore_bundle => $driftcore_info) {
      $driftcore_fields = [];
      foreach ($driftcore_field_manager->getFieldDefinitions($driftcore_id, $driftcore_bundle) as $driftcore_name => $driftcore_definition) {
        $driftcore_fields[$driftcore_name] = $driftcore_field($driftcore_definition);
      }
      $driftcore_bundles[$driftcore_bundle] = [
        'id' => (string) $driftcore_bundle,
        'label' => (string) ($driftcore_info['label'] ?? $driftcore_bundle),
        'translatable' => !empty($driftcore_info['translatable']),
        'fields' => (object) $driftcore_fields,
      ];
    }
  }
  $driftcore_types[$driftcore_id] = [
    'id' => (string) $driftcore_id,
    'label' => (string) $driftcore_type->getLabel(),
    'provider' => (string) $driftcore_type->getProvider(),
    'group' => $driftcore_type->getGroup() === NULL ? NULL : (string) $driftcore_type->getGroup(),
    'keys' => (object) array_filter($driftcore_type->getKeys(), static fn ($key) => $key !== '' && $key !== FALSE && $key !== NULL),
    'bundle_entity_type' => $driftcore_type->getBundleEntityType(),
    'base_table' => $driftcore_type->getBaseTable(),
    'revisionable' => (bool) $driftcore_type->isRevisionable(),
    'translatable' => (bool) $driftcore_type->isTranslatable(),
    'bundles' => (object) $driftcore_bundles,
  ];
}

$driftcore_state = [];
foreach ($driftcore_state_keys as $driftcore_key) {
  if (!$driftcore_secret($driftcore_key)) {
    $driftcore_state[$driftcore_key] = $driftcore_plain(\Drupal::state()->get($driftcore_key));
  }
}
$driftcore_config = [];
foreach ($driftcore_config_keys as [$driftcore_name, $driftcore_key]) {
  if (!$driftcore_secret($driftcore_name . ':' . $driftcore_key)) {
    $driftcore_config[$driftcore_name . ':' . $driftcore_key] = $driftcore_plain(\Drupal::config($driftcore_name)->get($driftcore_key));
  }
}

echo "\nDRIFTCORE-METADATA-BEGIN\n";
echo json_encode([
  'harvested_at' => date('c'),
  'drupal_version' => \Drupal::VERSION,
  'entity_types' => (object) $driftcore_types,
  'state' => (object) $driftcore_state,
  'config' => (object) $driftcore_config,
], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION | JSON_PARTIAL_OUTPUT_ON_ERROR);
echo "\nDRIFTCORE-METADATA-END\n";
