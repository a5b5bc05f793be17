#!/usr/bin/env node
// A STAND-IN for Drush 13, for tests: no Drupal runs here. It answers the commands driftcore
// uses as Drush 13.3 on Drupal 10.3.7 answered them (../shared/fixtures/drupal-live-10.3/drush-13.3,
// each answer checked against its capture in captures.test.ts): --format=json RowsOfFields as
// objects keyed by row, `[]` when empty, log lines ` [success] …` on stderr, failures as
// Symfony exception boxes wrapped at $COLUMNS (symfony-box.mjs), exit 1. The "site" is a
// folder given with --root:
//   site.json   core:status fields (db-password included, as real Drush prints it), state,
//               sync_dir (the sync folder relative to the root; default sync/), database: "down"
//   active/     the active config (the database)
//   calls.log   one JSON line per call, so tests can see what driftcore ran
// php:script runs the given script under real PHP with drupal-api-stand-in.php, whose
// entity types, bundles and fields are read from active/.
import { spawnSync } from 'node:child_process'
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parse } from 'yaml'
import { entityModel } from './site-model.mjs'
import { asciiTable, comment, renderThrowable, terminalColumns } from './symfony-box.mjs'

const argv = process.argv.slice(2)
const dashdash = argv.indexOf('--')
const extra = dashdash >= 0 ? argv.slice(dashdash + 1) : []
const words = dashdash >= 0 ? argv.slice(0, dashdash) : argv
const options = {}
const positional = []
for (const word of words) {
  const m = /^--([a-z-]+)(?:=(.*))?$/.exec(word)
  if (m) options[m[1]] = m[2] ?? true
  else positional.push(word)
}
if (positional[0]?.startsWith('@')) positional.shift()
const [command, ...args] = positional

const columns = terminalColumns()
const log = (level, message) => process.stderr.write(` [${level}] ${message}\n`)
/** Dies as Drush does on an uncaught exception: its box on stderr, exit 1. */
const die = (...chain) => {
  process.stderr.write(renderThrowable(chain, columns))
  process.exit(1)
}
// Drupal escapes `'` in translated messages it throws (Html::escape), and Drush prints them so.
const escaped = (text) => text.replaceAll("'", '&#039;')

const root = options.root
if (!root || !existsSync(path.join(root, 'active'))) {
  die({
    message:
      'Drupal bootstrap failed: could not find a Drupal site (the stand-in needs --root=<site folder>)',
  })
}
appendFileSync(path.join(root, 'calls.log'), JSON.stringify(argv) + '\n')
const site = existsSync(path.join(root, 'site.json'))
  ? JSON.parse(readFileSync(path.join(root, 'site.json'), 'utf8'))
  : {}
const active = path.join(root, 'active')
const syncSetting = site.sync_dir ?? null
const sync = path.resolve(root, syncSetting ?? 'sync')
const databaseUp = site.database !== 'down'
// Without a database Drush cannot bootstrap far enough to find the commands that need it.
const needsDatabase = (name) => {
  if (!databaseUp)
    die({
      message: `Command ${name} was not found. Drush was unable to query the database. As a result, many commands are unavailable. Re-run your command with --debug to see relevant log messages.`,
    })
}

// Sorted by object name, as Drupal lists them (system.image before system.image.gd).
function ymlFiles(dir) {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.yml'))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0))
}
const nameOf = (file) => {
  const parts = file.slice(0, -4).split('/')
  return parts.length > 1 ? `${parts.slice(0, -1).join('.')}:${parts.at(-1)}` : parts[0]
}
const read = (dir, file) => readFileSync(path.join(dir, file), 'utf8')
const json = (value) => process.stdout.write(JSON.stringify(value, null, 4) + '\n')
const uuidOf = (text) => /^uuid:\s*(\S+)\s*$/m.exec(text)?.[1] ?? null

// core:status fields in the order Drush 13.3 prints them, with a SQLite site's values.
const STATUS_DEFAULTS = {
  'drupal-version': '11.1.0',
  uri: 'http://default',
  'db-driver': 'sqlite',
  'db-port': null,
  'db-username': null,
  'db-password': null,
  'db-name': 'sites/default/files/.ht.sqlite',
  'db-status': 'Connected',
  bootstrap: 'Successful',
  theme: 'olivero',
  'admin-theme': 'claro',
  'php-bin': '/usr/bin/php8.2',
  'php-conf': ['/etc/php/8.2/cli/php.ini'],
  'php-os': 'Linux',
  'php-version': '8.2.36',
  'drush-script': 'vendor/bin/drush.php',
  'drush-version': '13.3.0.0',
  'drush-temp': '/tmp',
  'drush-conf': ['vendor/drush/drush/drush.yml'],
  'drush-alias-files': [],
  'alias-searchpaths': [],
  'install-profile': 'standard',
  root: null,
  'drupal-settings-file': 'sites/default/settings.php',
  site: 'sites/default',
  themes: 'sites/all/themes',
  modules: 'sites/all/modules',
  files: 'sites/default/files',
  temp: '/tmp',
  'config-sync': '../config/sync',
}
// What status-nodb lacks: everything Drush learns from a bootstrapped site.
const NEEDS_DB = ['db-status', 'bootstrap', 'theme', 'admin-theme', 'install-profile', 'files', 'temp']

function coreStatus() {
  const status = { ...STATUS_DEFAULTS, root, ...site.status }
  delete status['%paths']
  if (!databaseUp) for (const key of NEEDS_DB) delete status[key]
  const paths = {}
  for (const key of ['root', 'site', 'modules', 'themes', 'config-sync', 'files', 'temp'])
    if (key in status) paths[`%${key}`] = status[key]
  return { ...status, '%paths': paths }
}

// Config is not valid for Drupal when it is not YAML: FileStorage says so, naming the file.
function parseConfig(dir, file) {
  try {
    return parse(read(dir, file))
  } catch (error) {
    const line = error.linePos?.[0]?.line ?? 1
    die({
      file: 'FileStorage.php',
      line: 118,
      message: `Invalid data type in config ${nameOf(file)}, found in file ${path.join(dir, file)}: Malformed inline YAML string at line ${line}.`,
    })
  }
}

const FIELD_TYPES = new Set(
  'boolean changed comment created datetime daterange decimal email entity_reference file float image integer language link list_float list_integer list_string map password path string string_long telephone text text_long text_with_summary timestamp uri uuid'.split(
    ' ',
  ),
)

// ConfigImporter::validate's dependency check, for the objects an import creates or updates
// and those left depending on one it deletes: every dependencies.config must exist after it.
// (Drupal checks the whole source; the stand-in's "sites" are often partial exports.)
function dependencyErrors(after, changed, deleted) {
  const errors = []
  for (const [name, value] of after) {
    const needs = value?.dependencies?.config ?? []
    if (!changed.has(name) && !needs.some((n) => deleted.has(n))) continue
    for (const needed of needs) {
      if (!after.has(needed))
        errors.push(
          `Configuration ${name} depends on the ${needed} configuration that will not exist after import.`,
        )
    }
  }
  return errors
}

const importFailed = (reasons) =>
  die(
    {
      file: 'ConfigImportCommands.php',
      line: 291,
      message: escaped(`The import failed due to the following reasons:\n${reasons.join('\n')}`),
    },
    { file: 'ConfigImportCommands.php', line: 278, message: 'Errors occurred during import' },
  )

switch (command) {
  case 'core:status':
  case 'status':
  case 'st': {
    const status = coreStatus()
    const fields =
      typeof options.fields === 'string' && options.fields !== '*' ? options.fields.split(',') : null
    json(fields ? Object.fromEntries(fields.filter((f) => f in status).map((f) => [f, status[f]])) : status)
    break
  }
  case 'cache:rebuild':
  case 'cr':
    log('success', 'Cache rebuild complete.')
    break
  case 'config:export':
  case 'cex': {
    needsDatabase(command)
    const given = typeof options.destination === 'string' ? options.destination : null
    const dest = given ?? sync
    const shown = given ?? syncSetting ?? dest
    mkdirSync(dest, { recursive: true })
    const now = ymlFiles(active)
    const there = ymlFiles(dest)
    const identical =
      now.length === there.length && now.every((f, i) => f === there[i] && read(active, f) === read(dest, f))
    process.stdout.write(`${shown}\n`)
    if (identical) {
      log(
        'notice',
        `The active configuration is identical to the configuration in the export directory (${shown}).`,
      )
      break
    }
    for (const file of there) rmSync(path.join(dest, file))
    for (const file of now) {
      mkdirSync(path.dirname(path.join(dest, file)), { recursive: true })
      cpSync(path.join(active, file), path.join(dest, file))
    }
    log('success', `Configuration successfully exported to ${shown}.`)
    break
  }
  case 'config:status':
  case 'cst': {
    needsDatabase(command)
    const rows = {}
    const inDb = new Set(ymlFiles(active))
    const inSync = new Set(ymlFiles(sync))
    const wanted =
      options.state === 'Any'
        ? null
        : new Set(
            (typeof options.state === 'string'
              ? options.state
              : 'Only in DB,Only in sync dir,Different'
            ).split(','),
          )
    for (const file of [...new Set([...inDb, ...inSync])].sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : 1))) {
      const name = nameOf(file)
      if (typeof options.prefix === 'string' && !name.startsWith(options.prefix)) continue
      let state
      if (!inSync.has(file)) state = 'Only in DB'
      else if (!inDb.has(file)) state = 'Only in sync dir'
      else {
        const [db, dir] = [read(active, file), read(sync, file)]
        // A new uuid is another object: Drupal deletes the old one and creates the new one.
        state = db === dir ? 'Identical' : uuidOf(db) !== uuidOf(dir) ? 'Only in sync dir' : 'Different'
      }
      if (!wanted || wanted.has(state)) rows[name] = { name, state }
    }
    if (Object.keys(rows).length === 0) {
      log('notice', 'No differences between DB and sync directory.')
      if (options.format === 'json') process.stdout.write('[]\n')
    } else json(rows)
    break
  }
  case 'config:import':
  case 'cim': {
    needsDatabase(command)
    const source = typeof options.source === 'string' ? options.source : sync
    const incoming = ymlFiles(source)
    // Drupal reads the whole source before comparing: one bad file fails the import.
    const values = new Map(incoming.map((f) => [nameOf(f), parseConfig(source, f)]))
    const changes = { create: [], update: [], delete: [] }
    for (const file of incoming) {
      if (!existsSync(path.join(active, file))) changes.create.push(file)
      else if (read(active, file) !== read(source, file)) changes.update.push(file)
    }
    const after = new Map(ymlFiles(active).map((f) => [nameOf(f), parse(read(active, f))]))
    if (options.partial !== true) {
      for (const file of ymlFiles(active).filter((f) => !incoming.includes(f))) {
        changes.delete.push(file)
        after.delete(nameOf(file))
      }
    }
    for (const [name, value] of values) after.set(name, value)
    const total = changes.create.length + changes.update.length + changes.delete.length
    if (total === 0) {
      log('notice', 'There are no changes to import.')
      break
    }
    const rows = Object.entries(changes).flatMap(([op, files]) =>
      files.map((f) => ['', nameOf(f), op[0].toUpperCase() + op.slice(1)]),
    )
    process.stdout.write(asciiTable(['Collection', 'Config', 'Operation'], rows))
    process.stdout.write(`\n${comment('Import the listed configuration changes?: yes.', columns)}\n\n`)
    const invalid = dependencyErrors(
      after,
      new Set([...changes.create, ...changes.update].map(nameOf)),
      new Set(changes.delete.map(nameOf)),
    )
    if (invalid.length > 0) importFailed(invalid)
    // ConfigImporter applies deletes, then creates, then updates, one notice per object.
    for (const op of ['delete', 'create', 'update']) {
      for (const file of changes[op]) {
        log('notice', `Synchronized configuration: ${op} ${nameOf(file)}.`)
        const value = values.get(nameOf(file))
        if (file.startsWith('field.field.') && !FIELD_TYPES.has(value?.field_type)) {
          log('notice', 'Finalizing configuration synchronization.')
          importFailed([
            `Unexpected error during import with operation ${op} for ${nameOf(file)}: Unable to determine class for field type '${value?.field_type}' found in the 'field.field.0' configuration`,
          ])
        }
        if (op === 'delete') rmSync(path.join(active, file))
        else {
          mkdirSync(path.dirname(path.join(active, file)), { recursive: true })
          cpSync(path.join(source, file), path.join(active, file))
        }
      }
    }
    log('notice', 'Finalizing configuration synchronization.')
    log('success', 'The configuration was imported successfully.')
    break
  }
  case 'field:info':
  case 'fi': {
    needsDatabase(command)
    const [entityType, bundle] = args
    const model = entityModel(active, {})
    if (!model.entity_types[entityType])
      die({
        file: 'EntityTypeBundleValidationTrait.php',
        line: 19,
        message: `Entity type with id '${entityType}' does not exist.`,
      })
    const fields = model.fields[entityType]?.[bundle]
    if (!bundle || !fields)
      die({
        file: 'EntityTypeBundleValidationTrait.php',
        line: 42,
        message: `Bundle '${bundle ?? ''}' does not exist on entity type with id '${entityType}'.`,
      })
    const rows = {}
    for (const f of Object.values(fields)
      .filter((f) => !f.base)
      .sort((a, b) => a.name.localeCompare(b.name))) {
      const empty = (v) => v == null || (typeof v === 'object' && Object.keys(v).length === 0)
      const targets = f.settings.handler_settings?.target_bundles
      rows[f.name] = {
        label: f.label,
        description: f.description,
        field_name: f.name,
        field_type: f.type,
        required: f.required,
        translatable: f.translatable,
        cardinality: f.cardinality,
        default_value: empty(f.default_value) ? null : f.default_value,
        default_value_callback: f.default_value_callback ?? '',
        allowed_values: f.settings.allowed_values ?? null,
        allowed_values_function: f.settings.allowed_values_function ?? null,
        handler: f.settings.handler ?? null,
        target_bundles: empty(targets) ? null : targets,
      }
    }
    json(Object.keys(rows).length > 0 ? rows : [])
    break
  }
  case 'php:script':
  case 'scr': {
    const script = args[0]
    if (!databaseUp)
      die({
        file: 'Drupal.php',
        line: 169,
        message:
          '\\Drupal::$container is not initialized yet. \\Drupal::setContainer() must be called with a real container.',
      })
    if (!script || !existsSync(script)) die({ message: `Unable to find any of the following: ${script}` })
    const wantConfig = extra.flatMap((e) => /^--config=([^:]+):/.exec(e)?.[1] ?? [])
    const modelFile = path.join(os.tmpdir(), `drush-stand-in-model-${process.pid}.json`)
    writeFileSync(
      modelFile,
      JSON.stringify(entityModel(active, { state: site.state ?? {}, config: wantConfig })),
    )
    try {
      const php = spawnSync(
        'php',
        [path.join(import.meta.dirname, 'drupal-api-stand-in.php'), modelFile, script, ...extra],
        {
          stdio: ['ignore', 'inherit', 'inherit'],
        },
      )
      process.exitCode = php.status ?? 1
    } finally {
      rmSync(modelFile, { force: true })
    }
    break
  }
  default:
    die({ message: `Command "${command ?? ''}" is not defined.` })
}
