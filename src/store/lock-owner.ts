import os from 'node:os'
import { randomBytes } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import { readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises'
import { isSameProcess, processStartTime } from '../workflow/runs/process.js'

interface LockOwner {
  pid: number
  host: string
  start_time?: string
}

const HOST = os.hostname()
let me: LockOwner | undefined

/**
 * Who holds `target.lock`, in `target.lock.owner` beside it (inside, it would move the lock
 * folder's mtime, which proper-lockfile checks to see its lock was not taken). Written right
 * after the lock is taken and removed right before it is released, so an owner file names the
 * holder, or a holder that crashed while holding it, never one that let go.
 */
function ownerFile(target: string): string {
  return `${target}.lock.owner`
}

/**
 * Records this process as the owner; the returned release removes the record first. Both are
 * synchronous, like the lock itself (file-lock.ts): one small file, written and removed.
 */
export function claimed(target: string, release: () => void): () => void {
  try {
    writeFileSync(ownerFile(target), owner())
  } catch {
    // Without it the lock is only taken over by the time rule: slower, never wrong.
  }
  return () => {
    rmSync(ownerFile(target), { force: true })
    release()
  }
}

/** The same through the thread pool, for a lock taken in the background (file-lock.ts). */
export async function claimedInBackground(
  target: string,
  release: () => Promise<void>,
): Promise<() => Promise<void>> {
  await writeFile(ownerFile(target), owner()).catch(() => undefined)
  return async () => {
    await rm(ownerFile(target), { force: true })
    await release()
  }
}

function owner(): string {
  me ??= {
    pid: process.pid,
    host: HOST,
    ...(processStartTime(process.pid) ? { start_time: processStartTime(process.pid)! } : {}),
  }
  return JSON.stringify(me)
}

/**
 * A held lock whose owner file names a process of this host that is gone (pid and start time,
 * so a reused pid is not mistaken for it): remove it, so the caller takes the lock at once
 * instead of waiting for it to go stale. The owner file is first renamed to a name of our own,
 * so of two processes taking over the same dead lock only one removes it; if what we renamed
 * turns out to name someone alive (a new owner wrote it meanwhile), it is put back.
 */
export async function tookOverFromDead(target: string): Promise<boolean> {
  const file = ownerFile(target)
  const seen = await readOwner(file)
  if (!seen || seen.host !== HOST || isSameProcess(seen.pid, seen.start_time)) return false
  const mine = `${file}.${randomBytes(4).toString('hex')}.taking`
  try {
    await rename(file, mine)
  } catch {
    return true // someone else took it over first: try the lock again
  }
  const taken = await readOwner(mine)
  if (taken && (taken.pid !== seen.pid || taken.start_time !== seen.start_time)) {
    await rename(mine, file).catch(() => undefined)
    return false
  }
  await rmdir(`${target}.lock`).catch(() => undefined)
  await rm(mine, { force: true })
  return true
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(file, 'utf8')) as LockOwner
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? owner : undefined
  } catch {
    return undefined
  }
}
