import { randomBytes } from 'node:crypto'
import { constants, existsSync, type Stats } from 'node:fs'
import { lstat, mkdir, open, realpath, rename, rm, rmdir, unlink, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError, type ErrorCode } from '../errors/driftcore-error.js'

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_DIRECTORY, O_NOFOLLOW } = constants

/** True when `child` is `parent` or lies below it (both absolute, compared as written). */
export function isWithin(child: string, parent: string): boolean {
  const rel = path.relative(parent, child)
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel))
}

/**
 * Splits a path that must stay below a folder into its segments: relative, no `..`, no empty
 * or `.` segment, no NUL; `\` counts as a separator too, so a Windows-style path cannot sneak
 * a `..` past the check.
 */
export function relativeSegments(raw: string, what: string): string[] {
  const refuse = (reason: string) =>
    new DriftcoreError('invalid_input', `${what} "${raw}" ${reason}`, {
      hint: 'give a path relative to the folder, without "..", e.g. my_module/src/Foo.php',
      details: { path: raw, reason },
    })
  if (raw.length === 0) throw refuse('is empty')
  if (raw.includes('\0')) throw refuse('contains a NUL byte')
  if (path.posix.isAbsolute(raw) || path.win32.isAbsolute(raw)) throw refuse('is absolute')
  const segments = raw.split(/[\\/]/)
  if (segments.includes('..')) throw refuse('climbs out with ".."')
  if (segments.some((s) => s === '' || s === '.')) throw refuse('has an empty or "." segment')
  return segments
}

/** Where a confined folder may lie, and what nothing may reach even from inside it. */
export interface Confinement {
  /** The folder's real location (symlinks resolved) must lie in one of these; default anywhere. */
  within?: readonly string[]
  /** Nothing may be written, removed or read in these, even below an allowed folder (`.driftcore/`). */
  deny?: readonly string[]
  /** The code for a path that leads out: invalid_input (default), forbidden, integrity. */
  code?: ErrorCode
}

export interface ConfineOptions extends Confinement {
  /** What the folder is, for messages: "the custom-modules folder", "the baseline config/sync". */
  what: string
  /** Create the folder (and its missing parents) first. */
  create?: boolean
}

/** What a path inside a confined folder is right now. */
export type EntryKind = 'file' | 'dir' | 'link' | 'other' | 'absent'

/** A file written beside its target and not yet renamed onto it. */
export interface StagedFile {
  readonly rel: string
  /** Renames the staged file onto its target (re-checking the way there). */
  commit(): Promise<void>
  /** Removes the staged file; harmless when it is already gone. */
  discard(): Promise<void>
}

// On Linux every step goes through the folder already opened (`/proc/self/fd/N/name`, with
// O_NOFOLLOW): the kernel resolves each name inside that folder, so swapping a folder on the
// way for a symlink between a check and a write cannot redirect the write. Without /proc
// (macOS) each step is checked with lstat and the folder's real path is compared again after
// the operation, which detects such a swap rather than preventing it.
const PROC_FD = process.platform === 'linux' && existsSync('/proc/self/fd')

interface Dir {
  /** The path to use for `name` inside this folder. */
  at(name: string): string
  sync(): Promise<void>
  /** Throws when the folder is no longer where it was opened (the fallback's after-check). */
  verify(): Promise<void>
  close(): Promise<void>
}

class FdDir implements Dir {
  constructor(private readonly handle: FileHandle) {}
  at(name: string): string {
    return `/proc/self/fd/${this.handle.fd}/${name}`
  }
  async sync(): Promise<void> {
    await this.handle.sync().catch(() => undefined)
  }
  async verify(): Promise<void> {}
  close(): Promise<void> {
    return this.handle.close()
  }
}

class PathDir implements Dir {
  constructor(
    readonly dir: string,
    private readonly onMoved: (where: string) => DriftcoreError,
  ) {}
  at(name: string): string {
    return path.join(this.dir, name)
  }
  async sync(): Promise<void> {
    const handle = await open(this.dir, 'r').catch(() => undefined)
    await handle?.sync().catch(() => undefined)
    await handle?.close()
  }
  async verify(): Promise<void> {
    const real = await realpath(this.dir).catch(() => undefined)
    if (real !== this.dir) throw this.onMoved(this.dir)
  }
  async close(): Promise<void> {}
}

/**
 * A folder that reads and writes cannot leave. Every operation takes a relative path, walks to
 * it one folder at a time without following a symlink (a symlink anywhere on the way is an
 * error, whatever it points at), and refuses anything in a denied folder. The folder itself may
 * be reached through symlinks: its real location is resolved once, when it is opened, and
 * checked against `within` and `deny`.
 *
 * @example
 * ```ts
 * import { ConfinedDir } from 'driftcore'
 *
 * const modules = await ConfinedDir.open('/srv/site/web/modules/custom', {
 *   what: 'the custom-modules folder',
 *   within: ['/srv/site'],
 * })
 * await modules.writeFile('hello/hello.info.yml', 'name: Hello\n') // never lands outside
 * ```
 */
export class ConfinedDir {
  private constructor(
    /** The folder as it was named. */
    readonly dir: string,
    /** Its real location, symlinks resolved; every path below it is lexically below this. */
    readonly real: string,
    private readonly deny: readonly string[],
    private readonly what: string,
    private readonly code: ErrorCode,
    /** The folder's device and inode when opened: each later operation must find the same folder. */
    private readonly identity: { dev: number; ino: number },
  ) {}

  static async open(dir: string, options: ConfineOptions): Promise<ConfinedDir> {
    const code = options.code ?? 'invalid_input'
    if (options.create) await mkdir(dir, { recursive: true })
    const real = await realpath(dir).catch((error: NodeJS.ErrnoException) => {
      throw new DriftcoreError(
        error.code === 'ENOENT' ? 'not_found' : 'io',
        `${options.what} (${dir}) cannot be opened: ${error.message}`,
        { cause: error, details: { path: dir } },
      )
    })
    const within = await Promise.all((options.within ?? []).map(realOrResolved))
    const deny = await Promise.all((options.deny ?? []).map(realOrResolved))
    const info = await lstat(real)
    if (!info.isDirectory()) {
      throw new DriftcoreError('invalid_input', `${options.what} (${dir}) is not a folder`, {
        details: { path: dir },
      })
    }
    if (within.length > 0 && !within.some((w) => isWithin(real, w))) {
      throw leadsOut(code, `${options.what} (${dir}) resolves to ${real}, outside ${within.join(', ')}`, {
        path: dir,
        resolved: real,
        allowed: within,
      })
    }
    const denied = deny.find((d) => isWithin(real, d))
    if (denied !== undefined) {
      throw leadsOut(code, `${options.what} (${dir}) resolves to ${real}, inside ${denied}`, {
        path: dir,
        resolved: real,
        denied,
      })
    }
    return new ConfinedDir(dir, real, deny, options.what, code, { dev: info.dev, ino: info.ino })
  }

  /** The absolute path of `rel` below the folder's real location (for messages and tools). */
  path(rel: string): string {
    return path.join(this.real, ...this.segments(rel))
  }

  /** What `rel` is now, without following a symlink; an error if the way to it is not plain folders. */
  async kind(rel: string): Promise<EntryKind> {
    const info = await this.lstat(rel)
    if (!info) return 'absent'
    return info.isSymbolicLink() ? 'link' : info.isDirectory() ? 'dir' : info.isFile() ? 'file' : 'other'
  }

  async lstat(rel: string): Promise<Stats | undefined> {
    const found = await this.parentOf(rel, false)
    if (!found) return undefined
    try {
      return await lstat(found.dir.at(found.name)).catch(() => undefined)
    } finally {
      await found.dir.close()
    }
  }

  /** Writes a file atomically (a temporary file beside it, then a rename onto it). */
  async writeFile(
    rel: string,
    data: string | Uint8Array,
    options: { mode?: number; sync?: boolean } = {},
  ): Promise<void> {
    const name = this.segments(rel).at(-1)!
    const { dir } = (await this.parentOf(rel, true))!
    try {
      const temp = await writeTemp(dir, name, data, options)
      try {
        await rename(dir.at(temp), dir.at(name))
      } catch (error) {
        await rm(dir.at(temp), { force: true })
        throw error
      }
      if (options.sync !== false) await dir.sync()
      await dir.verify()
    } finally {
      await dir.close()
    }
  }

  /**
   * Writes `data` to a hidden temporary file beside `rel` (creating the folders on the way) and
   * returns it unrenamed, so a caller can stage many files and only then put them in place.
   */
  async stage(
    rel: string,
    data: string | Uint8Array,
    options: { mode?: number; sync?: boolean } = {},
  ): Promise<StagedFile> {
    const segments = this.segments(rel)
    const name = segments.at(-1)!
    const sync = options.sync !== false
    const { dir } = (await this.parentOf(rel, true))!
    let temp: string
    try {
      temp = await writeTemp(dir, name, data, options)
      await dir.verify()
    } finally {
      await dir.close()
    }
    const tempRel = [...segments.slice(0, -1), temp].join('/')
    return {
      rel,
      commit: async () => {
        const found = await this.parentOf(rel, false)
        if (!found) throw this.moved(this.path(rel))
        try {
          await rename(found.dir.at(temp), found.dir.at(name))
          if (sync) await found.dir.sync()
          await found.dir.verify()
        } finally {
          await found.dir.close()
        }
      },
      discard: async () => {
        await this.remove(tempRel, { force: true }).catch(() => undefined)
      },
    }
  }

  /** Creates `rel` and its missing parents as real folders; returns the first one made, if any. */
  async mkdir(rel: string): Promise<string | undefined> {
    const segments = this.segments(rel)
    let first: string | undefined
    let dir = await this.openRoot()
    try {
      for (const [index, segment] of segments.entries()) {
        const made = await this.child(dir, segment, segments.slice(0, index + 1), true)
        if (made.created && first === undefined) first = path.join(this.real, ...segments.slice(0, index + 1))
        await dir.close()
        dir = made.dir
      }
      await dir.verify()
    } finally {
      await dir.close()
    }
    return first
  }

  /** Removes a file, a symlink (never what it points at) or, with `recursive`, a folder. */
  async remove(rel: string, options: { recursive?: boolean; force?: boolean } = {}): Promise<void> {
    const target = this.path(rel)
    if (options.recursive) {
      const inside = this.deny.find((d) => isWithin(d, target))
      if (inside !== undefined)
        throw leadsOut(this.code, `removing ${target} would remove ${inside}`, { path: target })
    }
    const found = await this.parentOf(rel, false)
    if (!found) {
      if (options.force) return
      throw new DriftcoreError('not_found', `${target} does not exist`, { details: { path: target } })
    }
    const { dir, name } = found
    try {
      await dir.verify()
      if (options.recursive) {
        await rm(dir.at(name), { recursive: true, force: options.force ?? false })
        return
      }
      const info = await lstat(dir.at(name)).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' && options.force) return undefined
        throw error
      })
      if (!info) return
      await (info.isDirectory() ? rmdir(dir.at(name)) : unlink(dir.at(name)))
    } finally {
      await dir.close()
    }
  }

  /** Renames `from` to `to`, both inside the folder (the folders on the way to `to` are created). */
  async rename(from: string, to: string): Promise<void> {
    const source = await this.parentOf(from, false)
    if (!source) throw new DriftcoreError('not_found', `${this.path(from)} does not exist`)
    try {
      const { dir } = (await this.parentOf(to, true))!
      try {
        await rename(source.dir.at(source.name), dir.at(this.segments(to).at(-1)!))
        await source.dir.verify()
        await dir.verify()
      } finally {
        await dir.close()
      }
    } finally {
      await source.dir.close()
    }
  }

  /** Reads a file; a symlink, even as the file itself, is refused. */
  async readFile(rel: string): Promise<Buffer> {
    const found = await this.parentOf(rel, false)
    if (!found) throw new DriftcoreError('not_found', `${this.path(rel)} does not exist`)
    try {
      const handle = await open(found.dir.at(found.name), O_RDONLY | O_NOFOLLOW).catch(
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ELOOP') throw this.symlink(this.path(rel))
          if (error.code === 'ENOENT')
            throw new DriftcoreError('not_found', `${this.path(rel)} does not exist`, { cause: error })
          throw error
        },
      )
      try {
        const bytes = await handle.readFile()
        await found.dir.verify()
        return bytes
      } finally {
        await handle.close()
      }
    } finally {
      await found.dir.close()
    }
  }

  private segments(rel: string): string[] {
    const segments = relativeSegments(rel, `a path in ${this.what}`)
    const target = path.join(this.real, ...segments)
    const denied = this.deny.find((d) => isWithin(target, d))
    if (denied !== undefined) {
      throw leadsOut(this.code, `${target} is inside ${denied}, which tools may not touch`, {
        path: target,
        denied,
      })
    }
    return segments
  }

  // The folder holding `rel`'s last segment, opened; undefined when a folder on the way is missing.
  private async parentOf(rel: string, create: boolean): Promise<{ dir: Dir; name: string } | undefined> {
    const segments = this.segments(rel)
    let dir = await this.openRoot()
    try {
      for (const [index, segment] of segments.slice(0, -1).entries()) {
        const next = await this.child(dir, segment, segments.slice(0, index + 1), create)
        await dir.close()
        dir = next.dir
        if (next.missing) {
          await dir.close()
          return undefined
        }
      }
    } catch (error) {
      await dir.close()
      throw error
    }
    return { dir, name: segments.at(-1)! }
  }

  // The folder itself, checked to be the very folder that was opened (same device and inode),
  // so a folder on the way to it swapped for a symlink cannot put another folder in its place.
  private async openRoot(): Promise<Dir> {
    if (!PROC_FD) {
      const info = await lstat(this.real).catch(() => undefined)
      if (!info || info.dev !== this.identity.dev || info.ino !== this.identity.ino)
        throw this.moved(this.real)
      return new PathDir(this.real, (where) => this.moved(where))
    }
    const handle = await open(this.real, O_RDONLY | O_DIRECTORY | O_NOFOLLOW).catch(() => {
      throw this.moved(this.real)
    })
    const info = await handle.stat()
    if (info.dev !== this.identity.dev || info.ino !== this.identity.ino) {
      await handle.close()
      throw this.moved(this.real)
    }
    return new FdDir(handle)
  }

  // One step down: opens `name` in `dir` as a folder, never through a symlink.
  private async child(
    dir: Dir,
    name: string,
    segments: readonly string[],
    create: boolean,
  ): Promise<{ dir: Dir; created?: boolean; missing?: boolean }> {
    const where = path.join(this.real, ...segments)
    let created = false
    for (;;) {
      try {
        if (dir instanceof PathDir) {
          const info = await lstat(dir.at(name))
          if (info.isSymbolicLink()) throw this.symlink(where)
          if (!info.isDirectory()) throw this.notFolder(where)
          return { dir: new PathDir(dir.at(name), (w) => this.moved(w)), created }
        }
        const handle = await open(dir.at(name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
        return { dir: new FdDir(handle), created }
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'ENOENT') {
          if (!create) return { dir: new PathDir(where, (w) => this.moved(w)), missing: true }
          await mkdir(dir.at(name), { mode: 0o755 }).catch((e: NodeJS.ErrnoException) => {
            if (e.code !== 'EEXIST') throw e
          })
          created = true
          continue
        }
        if (code === 'ENOTDIR' || code === 'ELOOP') {
          const info = await lstat(dir.at(name)).catch(() => undefined)
          throw info?.isSymbolicLink() ? this.symlink(where) : this.notFolder(where)
        }
        throw error
      }
    }
  }

  private symlink(where: string): DriftcoreError {
    return leadsOut(
      this.code,
      `${where} is a symbolic link; reads and writes in ${this.what} never follow one`,
      { path: where, symlink: true },
      'replace the link with a real folder or file, or choose another path',
    )
  }

  private notFolder(where: string): DriftcoreError {
    return new DriftcoreError('invalid_input', `${where} is not a folder`, { details: { path: where } })
  }

  private moved(where: string): DriftcoreError {
    return new DriftcoreError(
      'integrity',
      `${where} was replaced while driftcore worked in ${this.what}: a folder on the way is now a symbolic link or gone`,
      {
        hint: 'something else is changing these files; stop it, check the folder, and try again',
        details: { path: where },
      },
    )
  }
}

// A hidden temporary file beside `name`, created new (never through a link) and filled.
async function writeTemp(
  dir: Dir,
  name: string,
  data: string | Uint8Array,
  options: { mode?: number; sync?: boolean },
): Promise<string> {
  const temp = `.${name}.${randomBytes(6).toString('hex')}.tmp`
  const handle = await open(dir.at(temp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, options.mode ?? 0o644)
  try {
    await handle.writeFile(data)
    if (options.sync !== false) await handle.sync()
  } catch (error) {
    await handle.close()
    await rm(dir.at(temp), { force: true })
    throw error
  }
  await handle.close()
  return temp
}

function leadsOut(
  code: ErrorCode,
  message: string,
  details: Record<string, unknown>,
  hint = 'use a path inside the folder; files are never read or written through a symlink that leads out',
): DriftcoreError {
  return new DriftcoreError(code, message, { hint, details })
}

async function realOrResolved(dir: string): Promise<string> {
  const resolved = path.resolve(dir)
  return realpath(resolved).catch(() => resolved)
}

/**
 * Resolves a path a tool was given (relative to `base`) and checks that its real location, with
 * every symlink resolved, lies in one of `within` and in none of `deny`. Returns the real path,
 * or undefined when nothing exists there (nothing to read, nothing leaked).
 */
export async function resolveWithin(
  spec: string,
  options: {
    base: string
    what: string
    within: readonly string[]
    deny?: readonly string[]
    code?: ErrorCode
  },
): Promise<string | undefined> {
  const full = path.resolve(options.base, spec)
  const real = await realpath(full).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined
    throw new DriftcoreError('io', `cannot read ${spec}: ${error.message}`, { cause: error })
  })
  // Nothing there: nothing to read and nothing leaked (the caller reports it as not found).
  if (real === undefined) return undefined
  const within = await Promise.all(options.within.map(realOrResolved))
  const deny = await Promise.all((options.deny ?? []).map(realOrResolved))
  const code = options.code ?? 'forbidden'
  const hint =
    'name a path inside the project (not in .driftcore/), or add the folder to files.read_roots in .driftcore/config.yaml'
  if (!within.some((w) => isWithin(real, w))) {
    throw leadsOut(
      code,
      `${options.what} "${spec}" is outside the project and the folders it may read (${real})`,
      { path: spec, resolved: real, allowed: within },
      hint,
    )
  }
  const denied = deny.find((d) => isWithin(real, d))
  if (denied !== undefined) {
    throw leadsOut(
      code,
      `${options.what} "${spec}" is inside ${denied}, driftcore's own state, which tools do not read by path`,
      { path: spec, resolved: real, denied },
      hint,
    )
  }
  return real
}

/**
 * The folders tools may read by path: the project (without `.driftcore/`) and every folder in
 * `files.read_roots`. Plugins add their own (the drush plugin adds the site's config folder).
 */
export function projectRoots(
  paths: { root: string; home: string },
  config: Readonly<Record<string, unknown>>,
  extra: readonly string[] = [],
): { within: string[]; deny: string[] } {
  const roots = (config.files as { read_roots?: string[] } | undefined)?.read_roots ?? []
  return {
    within: [paths.root, ...roots, ...extra].map((r) => path.resolve(paths.root, r)),
    deny: [paths.home],
  }
}
