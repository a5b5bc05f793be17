// Installed plugins live in oclif's data dir (~/.local/share/driftcore/node_modules/…), where
// Node's own resolution finds neither driftcore nor the packages it lends its plugins. This
// resolve hook answers for them from the running host, for import and require alike:
// - `driftcore` (and `driftcore/package.json`) is always the running host, never a package of the
//   same name a plugin brought or npm fetched: the plugin API is the one that checks the plugin;
// - `zod` and `@oclif/core` are the plugin's own when it installed them, the host's otherwise,
//   so a plugin needs no dependency download to install from a tarball or a git URL.
// A hook, not a published API package: there is one copy of the API (the host's), so
// `defineTool` and the registry always agree, and nothing has to be kept in step on npm.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import module from 'node:module'

const HOST = new URL('../package.json', import.meta.url).href
const LENT = new Set(['zod', '@oclif/core'])
const ROOT = new URL('../', import.meta.url)

/**
 * dist/bundle/ (scripts/build-bundle.mjs) holds the start-up path as a few esbuild chunks. A
 * module the bundle has an entry for is answered with that entry, for ES imports only (a
 * CommonJS require() gets the file itself, as before). The bundle is used only when it was
 * built from the compiled files present now (the tsbuildinfo files it recorded): after a
 * `tsc -b` it is skipped until rebuilt, and DRIFTCORE_BUNDLE=0 always skips it. An entry that
 * names anything but a file inside dist/bundle/ makes the whole map unused.
 */
export function bundleEntries(root = ROOT, env = process.env) {
  if (env.DRIFTCORE_BUNDLE === '0') return undefined
  try {
    const map = JSON.parse(readFileSync(new URL('dist/bundle/map.json', root), 'utf8'))
    for (const [file, seen] of Object.entries(map.fingerprint))
      if (
        createHash('sha256')
          .update(readFileSync(new URL(file, root)))
          .digest('hex') !== seen
      )
        return undefined
    const entries = new Map()
    for (const [file, entry] of Object.entries(map.entries)) {
      if (typeof entry !== 'string' || !/^[\w.-]+\.js$/.test(entry)) return undefined
      entries.set(new URL(file, root).href, new URL(`dist/bundle/${entry}`, root).href)
    }
    return entries
  } catch {
    return undefined
  }
}

let bundled

function fromBundle(result, context) {
  bundled ??= bundleEntries() ?? new Map()
  const entry = bundled.get(result.url)
  if (entry === undefined || !context.conditions?.includes('import')) return result
  return { ...result, url: entry }
}

function packageName(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(specifier))
    return undefined
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

function fromHost(context) {
  return { ...context, parentURL: HOST }
}

function notFound(error) {
  return error?.code === 'ERR_MODULE_NOT_FOUND' || error?.code === 'MODULE_NOT_FOUND'
}

const BUNDLE = new URL('dist/bundle/', ROOT).href
const SIBLING = /^\.\/[\w.-]+\.js$/

/**
 * A chunk importing a sibling chunk (`./chunk-X.js`, as esbuild writes every edge between
 * them): the file next to it, answered without Node's resolution, which stats and realpaths
 * each of the several hundred edges a start crosses. Only for a parent directly in
 * dist/bundle/, whose package.json makes every file there an ES module.
 */
function siblingChunk(specifier, context) {
  const parent = context.parentURL
  if (!SIBLING.test(specifier) || !parent?.startsWith(BUNDLE) || parent.includes('/', BUNDLE.length))
    return undefined
  return { url: BUNDLE + specifier.slice(2), format: 'module', shortCircuit: true }
}

/** The synchronous hook for `module.registerHooks` (Node >= 22.15). */
export function resolveSync(specifier, context, nextResolve) {
  return siblingChunk(specifier, context) ?? fromBundle(resolveHost(specifier, context, nextResolve), context)
}

function resolveHost(specifier, context, nextResolve) {
  const name = packageName(specifier)
  if (name === 'driftcore') return nextResolve(specifier, fromHost(context))
  if (name === undefined || !LENT.has(name)) return nextResolve(specifier, context)
  try {
    return nextResolve(specifier, context)
  } catch (error) {
    if (!notFound(error)) throw error
    return nextResolve(specifier, fromHost(context))
  }
}

/** The same hook for `module.register` (older Node 22), which runs it off the main thread. */
export async function resolve(specifier, context, nextResolve) {
  return (
    siblingChunk(specifier, context) ??
    fromBundle(await resolveHostAsync(specifier, context, nextResolve), context)
  )
}

async function resolveHostAsync(specifier, context, nextResolve) {
  const name = packageName(specifier)
  if (name === 'driftcore') return nextResolve(specifier, fromHost(context))
  if (name === undefined || !LENT.has(name)) return nextResolve(specifier, context)
  try {
    return await nextResolve(specifier, context)
  } catch (error) {
    if (!notFound(error)) throw error
    return nextResolve(specifier, fromHost(context))
  }
}

/** Installs the hook once, before oclif loads any plugin. */
export function lendHostModules() {
  if (typeof module.registerHooks === 'function') module.registerHooks({ resolve: resolveSync })
  else module.register(import.meta.url)
}
