import { randomBytes } from 'node:crypto'
import { copyFile, rm } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError, ensureSuccess, type LaunchResult, type ToolContext } from 'driftcore/api'
import type { SandboxLayout } from './layout.js'
import { sandboxProfile } from './profile.js'

// Settings that would make a checkout differ from what was recorded, or run code, are pinned:
// no line-ending conversion, no hooks, no fsmonitor, real symlinks and executable bits.
const PINNED = [
  'core.autocrlf=false',
  'core.safecrlf=false',
  'core.filemode=true',
  'core.symlinks=true',
  'core.hooksPath=/dev/null',
  'core.fsmonitor=false',
  'core.quotePath=false',
  'core.precomposeUnicode=false',
  'gc.auto=0',
  'commit.gpgSign=false',
].flatMap((setting) => ['-c', setting])

export const IDENTITY = { name: 'driftcore', email: 'driftcore@localhost' }
const MAX_GIT_OUTPUT = 64 * 1024 * 1024

export interface GitOptions {
  input?: string
  indexFile?: string
}

export interface GitRunner {
  /** Runs git on the sandbox and returns stdout; a non-zero exit is an error. */
  run(args: readonly string[], options?: GitOptions): Promise<string>
  /** Runs git and hands back how it went, for commands whose failure is the caller's answer (`apply --check`). */
  attempt(args: readonly string[], options?: GitOptions): Promise<LaunchResult>
  /** Runs `work` with a scratch copy of the index, so a look at the working tree never disturbs the snapshot's index. */
  withScratchIndex<T>(work: (indexFile: string) => Promise<T>): Promise<T>
}

/**
 * git for the sandbox, through ctx.launcher like every child process (simple-git spawns git
 * itself, so it cannot be used here). GIT_DIR lives outside the site, so nothing running in the
 * sandbox can touch the snapshot; git runs in the sandbox profile with that folder writable.
 */
export function sandboxGit(ctx: ToolContext, layout: SandboxLayout): GitRunner {
  const profile = sandboxProfile(layout, { writable: [layout.state], limits: false })
  const runner: GitRunner = {
    attempt: (args, options = {}) =>
      ctx.launcher.run({
        file: 'git',
        args: [...PINNED, ...args],
        ...profile,
        env: {
          GIT_DIR: layout.gitDir,
          GIT_WORK_TREE: layout.site,
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_CONFIG_GLOBAL: '/dev/null',
          GIT_TERMINAL_PROMPT: '0',
          GIT_AUTHOR_NAME: IDENTITY.name,
          GIT_AUTHOR_EMAIL: IDENTITY.email,
          GIT_COMMITTER_NAME: IDENTITY.name,
          GIT_COMMITTER_EMAIL: IDENTITY.email,
          ...(options.indexFile ? { GIT_INDEX_FILE: options.indexFile } : {}),
        },
        maxOutputBytes: MAX_GIT_OUTPUT,
        ...(options.input === undefined ? {} : { input: options.input }),
      }),
    async run(args, options = {}) {
      const result = ensureSuccess(await runner.attempt(args, options), `git ${args[0] ?? ''}`)
      if (result.stdoutTruncated) {
        throw new DriftcoreError('internal', `git ${args[0] ?? ''} printed more than ${MAX_GIT_OUTPUT} bytes`)
      }
      return result.stdout
    },
    async withScratchIndex(work) {
      const indexFile = path.join(layout.state, `index.${randomBytes(6).toString('hex')}`)
      // A copy keeps git's stat cache, so only files that changed are hashed again.
      await copyFile(path.join(layout.gitDir, 'index'), indexFile).catch(() => undefined)
      try {
        return await work(indexFile)
      } finally {
        await rm(indexFile, { force: true })
      }
    },
  }
  return runner
}
