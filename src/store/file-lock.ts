import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { claimed, claimedInBackground, tookOverFromDead } from './lock-owner.js'
import type { lock, lockSync } from 'proper-lockfile'
import { DriftcoreError } from '../errors/driftcore-error.js'

export interface FileLockOptions {
  /** How long to keep trying before giving up, in ms. */
  waitMs?: number
  /** A lock older than this whose owner stopped refreshing it is taken over. */
  staleMs?: number
  /**
   * Nobody waits for `fn`'s result (a batch written behind callers that already have their
   * answer): take and release the lock through the thread pool, so a folder operation that
   * waits on a busy filesystem's journal never stalls the event loop serving the next request.
   */
  background?: boolean
}

// proper-lockfile (with graceful-fs) loads on the first lock, not at start-up; later locks
// reuse it without going through the module loader again (the audit log locks on every flush).
let properLockfile: { lock: typeof lock; lockSync: typeof lockSync } | undefined
async function loadProperLockfile(): Promise<{ lock: typeof lock; lockSync: typeof lockSync }> {
  properLockfile = (await import('proper-lockfile')).default
  return properLockfile
}

/**
 * Runs `fn` while holding a cross-process lock on `target` (a `target.lock` folder, created
 * atomically by mkdir). proper-lockfile refreshes the lock while held; a lock whose owner
 * died is taken over at once when its owner file says it was a process of this host that is
 * gone (lock-owner.ts), and after `staleMs` without refresh otherwise (an owner elsewhere).
 *
 * Taking and releasing are synchronous (mkdir, stat, the owner file, rmdir: microseconds
 * each): as promises, each of those six calls waited its turn in libuv's thread pool behind
 * whatever fsync was running, and the audit log takes this lock on every flush, so a chain of
 * steps paid ~2 ms per step for a lock held for microseconds. Waiting for a held lock is not.
 * A `background` lock is the exception: nobody waits for it, and the same folder operations,
 * which take milliseconds when the filesystem's journal is busy, would block whatever the event
 * loop serves meanwhile (an MCP server's next call). Both kinds exclude each other: same folder,
 * same protocol.
 */
export async function withFileLock<T>(
  target: string,
  fn: () => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const waitMs = options.waitMs ?? 30_000
  const lockfile = properLockfile ?? (await loadProperLockfile())
  let release: () => void | Promise<void>
  const started = Date.now()
  const settings = { realpath: false, stale: options.staleMs ?? 10_000, retries: 0 }
  for (let attempt = 0; ; attempt++) {
    try {
      if (options.background) {
        release = await claimedInBackground(target, await lockfile.lock(target, settings))
      } else {
        release = claimed(target, lockfile.lockSync(target, settings))
      }
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOCKED' && (await tookOverFromDead(target))) continue
      // The folder is usually there; create it only when the first lock finds it missing.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && attempt === 0) {
        await mkdir(path.dirname(target), { recursive: true })
        continue
      }
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error
      if (Date.now() - started > waitMs) {
        throw new DriftcoreError(
          'conflict',
          `timed out after ${waitMs} ms waiting for the lock on ${target}`,
          {
            hint: 'another driftcore process holds it; retry when it finishes',
            cause: error,
          },
        )
      }
      // Short, jittered waits: holders keep locks for microseconds to milliseconds.
      await new Promise((resolve) => setTimeout(resolve, Math.min(1 + attempt, 25) * Math.random() + 0.5))
    }
  }
  try {
    return await fn()
  } finally {
    await release()
  }
}
