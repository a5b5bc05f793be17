<?php

/**
 * @file
 * A STAND-IN for the Drupal APIs the harvest script calls, for tests. No Drupal runs here.
 *
 * Usage: php drupal-api-stand-in.php <model.json> <script.php> [extra...]
 *
 * It defines \Drupal with entityTypeManager(), service('entity_type.bundle.info'),
 * service('entity_field.manager'), state() and config(), answering from a JSON site model,
 * then includes the script the way Drush's php:script does: with the words after the script
 * in $extra. Labels are returned as objects with __toString, like Drupal's TranslatableMarkup.
 */

final class StandInMarkup {
  public function __construct(private string $text) {}
  public function __toString(): string { return $this->text; }
}

final class StandInEntityType {
  public function __construct(private array $d) {}
  public function id(): string { return $this->d['id']; }
  public function getLabel(): StandInMarkup { return new StandInMarkup($this->d['label']); }
  public function getProvider(): string { return $this->d['provider']; }
  public function getGroup(): ?string { return $this->d['group']; }
  public function getKeys(): array { return $this->d['keys'] + ['revision' => '', 'default_langcode' => 'default_langcode']; }
  public function getBundleEntityType(): ?string { return $this->d['bundle_entity_type']; }
  public function getBaseTable(): ?string { return $this->d['base_table']; }
  public function isRevisionable(): bool { return $this->d['revisionable']; }
  public function isTranslatable(): bool { return $this->d['translatable']; }
  public function entityClassImplements(string $interface): bool {
    return $interface === 'Drupal\Core\Entity\FieldableEntityInterface' && $this->d['fieldable'];
  }
}

final class StandInEntityTypeManager {
  public function __construct(private array $types) {}
  public function getDefinitions(): array {
    return array_map(static fn (array $t) => new StandInEntityType($t), $this->types);
  }
}

final class StandInFieldStorage {
  public function __construct(private array $d) {}
  public function getCardinality(): int { return $this->d['cardinality']; }
  public function isBaseField(): bool { return $this->d['base']; }
}

final class StandInFieldDefinition {
  public function __construct(private array $d) {}
  public function getName(): string { return $this->d['name']; }
  public function getType(): string { return $this->d['type']; }
  public function getLabel(): StandInMarkup { return new StandInMarkup($this->d['label']); }
  public function getDescription(): StandInMarkup { return new StandInMarkup($this->d['description']); }
  public function isRequired(): bool { return $this->d['required']; }
  public function isTranslatable(): bool { return $this->d['translatable']; }
  public function getSettings(): array { return $this->d['settings']; }
  public function getFieldStorageDefinition(): StandInFieldStorage { return new StandInFieldStorage($this->d); }
}

final class StandInServices {
  public function __construct(private array $model) {}
  public function getBundleInfo(string $type): array { return $this->model['bundles'][$type] ?? []; }
  public function getFieldDefinitions(string $type, string $bundle): array {
    return array_map(static fn (array $f) => new StandInFieldDefinition($f), $this->model['fields'][$type][$bundle] ?? []);
  }
}

final class StandInKeyValue {
  public function __construct(private array $values) {}
  public function get(string $key, $default = NULL) {
    $value = $this->values;
    foreach (explode('.', $key) as $part) {
      if (!is_array($value) || !array_key_exists($part, $value)) {
        return $default;
      }
      $value = $value[$part];
    }
    return $value;
  }
}

final class Drupal {
  const VERSION = '11.1.0';
  public static array $model = [];
  public static function entityTypeManager(): StandInEntityTypeManager { return new StandInEntityTypeManager(self::$model['entity_types']); }
  public static function service(string $id): StandInServices {
    if (!in_array($id, ['entity_type.bundle.info', 'entity_field.manager'], TRUE)) {
      throw new RuntimeException("the stand-in has no service $id");
    }
    return new StandInServices(self::$model);
  }
  public static function state(): object {
    // State keys contain dots themselves: look the whole key up first.
    return new class (self::$model['state'] ?? []) {
      public function __construct(private array $values) {}
      public function get(string $key, $default = NULL) { return $this->values[$key] ?? $default; }
    };
  }
  public static function config(string $name): StandInKeyValue { return new StandInKeyValue(self::$model['config'][$name] ?? []); }
}

function drush_stand_in_include(string $script, array $extra) {
  return include $script;
}

Drupal::$model = json_decode(file_get_contents($argv[1]), TRUE, 512, JSON_THROW_ON_ERROR);
drush_stand_in_include($argv[2], array_slice($argv, 3));
