// V8 keeps the bytecode of every module it compiles in a per-user cache folder, so the next
// start deserializes instead of parsing and compiling ~2 MB of JavaScript again (Node's
// module.enableCompileCache, 22.1+). The folder is the user's own: a cache entry is code this
// process will run, so a folder another user owns or can write to (a shared /tmp, the default
// Node would pick) is never used. NODE_COMPILE_CACHE (a folder Node opens itself) and
// NODE_DISABLE_COMPILE_CACHE=1 work as Node documents them.
import { lstatSync, mkdirSync } from 'node:fs'
import module from 'node:module'
import os from 'node:os'
import path from 'node:path'

/** The folder driftcore keeps V8's compile cache in for this user. */
export function compileCacheDir(env = process.env) {
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache')
  return path.join(base, 'driftcore', 'compile-cache')
}

/** Whether the folder is a real folder (not a link) of this user that nobody else can write. */
export function ownFolder(dir) {
  const s = lstatSync(dir)
  const uid = process.getuid?.()
  return s.isDirectory() && (uid === undefined || s.uid === uid) && (s.mode & 0o022) === 0
}

/** Turns the cache on unless something says not to; never fails a command. */
export function enableCompileCache(env = process.env) {
  if (typeof module.enableCompileCache !== 'function') return undefined
  if (env.NODE_DISABLE_COMPILE_CACHE || env.NODE_COMPILE_CACHE) return undefined
  const dir = compileCacheDir(env)
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    if (!ownFolder(dir) || !ownFolder(path.dirname(dir))) return undefined
    return module.enableCompileCache(dir)
  } catch {
    return undefined
  }
}
