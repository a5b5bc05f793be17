import { existsSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { LIFECYCLE_HOOKS } from '../cli/plugin-hooks.js'
import type { Contribution } from '../registry/registry.js'
import { contributionOf, hookTimeoutMs, refusedContribution, type HookPlugin } from './contributions.js'

interface PackageJson {
  name?: string
  dependencies?: Record<string, string>
  oclif?: {
    bin?: string
    dirname?: string
    binAliases?: unknown
    plugins?: unknown[]
    jitPlugins?: unknown
    hooks?: Record<string, unknown>
  }
}

/** A plugin as oclif would load it, with its capabilities hook files. */
export interface FoundPlugin extends HookPlugin {
  root: string
  hookFiles: string[]
}

/** What the direct entry needs of oclif's config: the plugins and the user's config folder. */
export interface CorePluginSet {
  plugins: FoundPlugin[]
  configDir: string
}

const HOOK = 'driftcore:capabilities'
const GLOB = /[*?[\]{}()!#\\]/

/**
 * The plugins oclif would load for this install when they are only the ones it ships: the
 * host and the core plugins its package.json lists, found as oclif's Config.load finds them in
 * production. Undefined for any install oclif would treat otherwise: a user-installed or
 * linked plugin, a lifecycle hook (init, prerun… which oclif runs for every command), a plugin
 * with plugins of its own, JIT plugins, a glob in the list, a hook given as an object, a dev
 * or test NODE_ENV (oclif may then run TypeScript sources), another platform, or anything
 * unreadable. The caller then leaves the command to oclif, which also warns about what is wrong.
 */
export function findCorePlugins(
  rootDir: string,
  env: NodeJS.ProcessEnv = process.env,
): CorePluginSet | undefined {
  if (process.platform !== 'linux' || ['development', 'test'].includes(env.NODE_ENV ?? '')) return undefined
  try {
    // Synchronous reads: a start is about ten small files, each a thread-pool round trip otherwise.
    const rootPjson = readJson(path.join(rootDir, 'package.json'))
    const oclif = rootPjson.oclif ?? {}
    if (!rootPjson.name || oclif.binAliases !== undefined || oclif.jitPlugins !== undefined) return undefined
    const dirs = oclifDirs(rootPjson, env)
    if (hasUserPlugins(dirs.dataDir)) return undefined
    const root = found(rootPjson, rootDir, true)
    if (!root) return undefined
    const plugins = [root]
    const listed = oclif.plugins ?? []
    if (!listed.every((name) => typeof name === 'string' && !GLOB.test(name))) return undefined
    // oclif takes the host's dependencies that the list names; their hooks' results are ranked
    // by name after the host's (loadContributions).
    const names = Object.keys(rootPjson.dependencies ?? {})
      .filter((name) => listed.includes(name))
      .sort()
    for (const name of names) {
      const dir = packageDir(name, rootDir)
      if (!dir) return undefined
      const pjson = readJson(path.join(dir, 'package.json'))
      if (pjson.name !== name || (pjson.oclif?.plugins ?? []).length > 0) return undefined
      const plugin = found(pjson, dir, false)
      if (!plugin) return undefined
      plugins.push(plugin)
    }
    return { plugins, configDir: dirs.configDir }
  } catch {
    return undefined
  }
}

/** Runs each plugin's capabilities hook as oclif's runHook does, into what the registry takes. */
export async function coreContributions(
  plugins: readonly FoundPlugin[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Contribution[]> {
  const timeout = hookTimeoutMs(env)
  const perPlugin = await Promise.all(
    plugins.map(async (plugin) => {
      const contributions: Contribution[] = []
      for (const file of plugin.hookFiles) {
        try {
          const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>
          const hook = hookOf(module)
          if (!hook) continue
          const capabilities = await withTimeout(timeout, Promise.resolve(hook.call({}, {})))
          const contribution = contributionOf(plugin, capabilities)
          if (contribution) contributions.push(contribution)
        } catch (error) {
          contributions.push(refusedContribution(plugin, error as Error, env))
        }
      }
      return contributions
    }),
  )
  return perPlugin.flat()
}

/** oclif's config folders (Config.load: `<BIN>_CONFIG_DIR`, XDG, then the home folder). */
export function oclifDirs(
  pjson: PackageJson,
  env: NodeJS.ProcessEnv,
): { configDir: string; dataDir: string } {
  const bin = pjson.oclif?.bin || pjson.name || ''
  const dirname = pjson.oclif?.dirname || pjson.name || ''
  const scoped = (key: string) =>
    env[`${bin.replaceAll('@', '').replaceAll(/[/-]/g, '_')}_${key}`.toUpperCase()]
  const home = env.HOME || os.homedir() || os.tmpdir()
  const dir = (category: 'config' | 'data') =>
    path.join(
      env[`XDG_${category.toUpperCase()}_HOME`] ||
        path.join(home, category === 'data' ? '.local/share' : `.${category}`),
      dirname,
    )
  return { configDir: scoped('CONFIG_DIR') || dir('config'), dataDir: scoped('DATA_DIR') || dir('data') }
}

function found(pjson: PackageJson, dir: string, isRoot: boolean): FoundPlugin | undefined {
  const hooks = pjson.oclif?.hooks ?? {}
  if (Object.keys(hooks).some((event) => LIFECYCLE_HOOKS.has(event))) return undefined
  const declared = hooks[HOOK]
  const targets = declared === undefined ? [] : [declared].flat()
  if (!targets.every((t): t is string => typeof t === 'string')) return undefined
  return {
    name: pjson.name!,
    isRoot,
    pjson,
    root: dir,
    hookFiles: targets.map((t) => path.join(dir, t)),
  }
}

// oclif's `plugins install` and `plugins link` record every plugin in the data dir's package.json.
function hasUserPlugins(dataDir: string): boolean {
  let text: string
  try {
    text = readFileSync(path.join(dataDir, 'package.json'), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
  const pjson = JSON.parse(text) as PackageJson
  return (pjson.oclif?.plugins ?? []).length > 0
}

// Node's lookup of a package folder: `node_modules/<name>` in each folder up from the host.
function packageDir(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (path.basename(dir) !== 'node_modules') {
      const candidate = path.join(dir, 'node_modules', name)
      if (existsSync(path.join(candidate, 'package.json'))) return candidate
    }
    if (path.dirname(dir) === dir) return undefined
  }
}

function readJson(file: string): PackageJson {
  return JSON.parse(readFileSync(file, 'utf8')) as PackageJson
}

// oclif's `search`: the default export, or the first function the module exports.
function hookOf(module: Record<string, unknown>): ((this: unknown, opts: unknown) => unknown) | undefined {
  if (typeof module.default === 'function') return module.default as (opts: unknown) => unknown
  return Object.values(module).find((m) => typeof m === 'function') as
    ((opts: unknown) => unknown) | undefined
}

// oclif's message for a hook that ran out of time, which `refusedContribution` recognises.
async function withTimeout<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, reject) => {
    // Not unref'd (unlike oclif's): a hook waiting on nothing must still time out, not end the process.
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms.`)), ms)
  })
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer))
}
