#!/usr/bin/env node
// A STAND-IN for Drush 13, for tests: no Drupal runs here. It answers the commands driftcore
// uses, shaped as Drush documents them (../shared/fixtures/drush/JSON-OUTPUT-NOTES.md and
// the command pages): --format=json RowsOfFields as objects keyed by row, `[]` when empty,
// log lines ` [success] …` on stderr. The "site" is a folder given with --root:
//   site.json   core:status fields (db-password included, as real Drush prints it) and state
//   active/     the active config (the database)
//   sync/       the config sync folder
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

const log = (level, message) => process.stderr.write(` [${level}] ${message}\n`)
const fail = (message) => {
  log('error', ` ${message}`)
  process.exit(1)
}

const root = options.root
if (!root || !existsSync(path.join(root, 'active'))) {
  fail('Drupal bootstrap failed: could not find a Drupal site (the stand-in needs --root=<site folder>)')
}
appendFileSync(path.join(root, 'calls.log'), JSON.stringify(argv) + '\n')
const site = existsSync(path.join(root, 'site.json'))
  ? JSON.parse(readFileSync(path.join(root, 'site.json'), 'utf8'))
  : {}
const active = path.join(root, 'active')
const sync = path.join(root, 'sync')

function ymlFiles(dir) {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.yml'))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort()
}
const nameOf = (file) => {
  const parts = file.slice(0, -4).split('/')
  return parts.length > 1 ? `${parts.slice(0, -1).join('.')}:${parts.at(-1)}` : parts[0]
}
const read = (dir, file) => readFileSync(path.join(dir, file), 'utf8')
const json = (value) => process.stdout.write(JSON.stringify(value, null, 4) + '\n')

switch (command) {
  case 'core:status':
  case 'status':
  case 'st': {
    const status = {
      'drupal-version': '11.1.0',
      bootstrap: 'Successful',
      'db-status': 'Connected',
      ...site.status,
    }
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
    const dest = typeof options.destination === 'string' ? options.destination : sync
    if (!existsSync(dest)) fail(`The target directory ${dest} does not exist.`)
    for (const file of ymlFiles(dest)) rmSync(path.join(dest, file))
    for (const file of ymlFiles(active)) {
      mkdirSync(path.dirname(path.join(dest, file)), { recursive: true })
      cpSync(path.join(active, file), path.join(dest, file))
    }
    log('success', `Configuration successfully exported to ${dest}.`)
    break
  }
  case 'config:status':
  case 'cst': {
    const rows = {}
    const inDb = new Set(ymlFiles(active))
    const inSync = new Set(ymlFiles(sync))
    for (const file of [...new Set([...inDb, ...inSync])].sort()) {
      const state = !inSync.has(file)
        ? 'Only in DB'
        : !inDb.has(file)
          ? 'Only in sync dir'
          : read(active, file) === read(sync, file)
            ? 'Identical'
            : 'Different'
      if (state !== 'Identical' || options.state === 'Any') rows[nameOf(file)] = { name: nameOf(file), state }
    }
    if (Object.keys(rows).length === 0) {
      log('notice', 'No differences between DB and sync directory.')
      process.stdout.write('[]\n')
    } else json(rows)
    break
  }
  case 'config:import':
  case 'cim': {
    const source = typeof options.source === 'string' ? options.source : sync
    const incoming = ymlFiles(source)
    const changes = { create: [], update: [], delete: [] }
    for (const file of incoming) {
      const target = path.join(active, file)
      if (!existsSync(target)) changes.create.push(nameOf(file))
      else if (read(active, file) !== read(source, file)) changes.update.push(nameOf(file))
      else continue
      parse(read(source, file)) // Drupal refuses config it cannot parse
      mkdirSync(path.dirname(target), { recursive: true })
      cpSync(path.join(source, file), target)
    }
    if (options.partial !== true) {
      for (const file of ymlFiles(active).filter((f) => !incoming.includes(f))) {
        changes.delete.push(nameOf(file))
        rmSync(path.join(active, file))
      }
    }
    const total = changes.create.length + changes.update.length + changes.delete.length
    if (total === 0) {
      log('notice', 'There are no changes to import.')
      break
    }
    for (const [op, names] of Object.entries(changes))
      if (names.length > 0) log('notice', `Synchronized configuration: ${op} ${names.join(', ')}.`)
    log('success', 'The configuration was imported successfully.')
    break
  }
  case 'field:info':
  case 'fi': {
    const [entityType, bundle] = args
    if (!bundle) fail('The bundle argument is required.')
    const model = entityModel(active, {})
    const fields = model.fields[entityType]?.[bundle]
    if (!fields) fail(`Bundle '${bundle}' does not exist on entity type '${entityType}'.`)
    const rows = {}
    for (const f of Object.values(fields).filter((f) => !f.base)) {
      rows[f.name] = {
        label: f.label,
        description: f.description,
        field_name: f.name,
        field_type: f.type,
        required: f.required,
        translatable: f.translatable,
        cardinality: f.cardinality,
        default_value: null,
        default_value_callback: '',
        allowed_values: f.settings.allowed_values ?? null,
        allowed_values_function: null,
        handler: f.settings.handler ?? null,
        target_bundles: f.settings.handler_settings?.target_bundles ?? null,
      }
    }
    json(Object.keys(rows).length > 0 ? rows : [])
    break
  }
  case 'php:script':
  case 'scr': {
    const script = args[0]
    if (!script || !existsSync(script)) fail(`Unable to find any of the following: ${script}`)
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
    fail(`Command "${command ?? ''}" is not defined.`)
}
