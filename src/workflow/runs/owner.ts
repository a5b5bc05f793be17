import os from 'node:os'
import { readFile, rm } from 'node:fs/promises'
import { DriftcoreError } from '../../errors/driftcore-error.js'
import { writeFileAtomic } from '../../store/atomic-write.js'
import { withFileLock } from '../../store/file-lock.js'
import { isSameProcess, processStartTime } from './process.js'

export interface RunOwner {
  pid: number
  host: string
  start_time?: string
  since: string
}

/**
 * One process at a time works on a run. Ownership is a file naming the owner's pid (and its
 * start time), so a process killed with -9 stops owning the run at once: nothing has to time
 * out before `workflow resume` may take over.
 */
export async function readOwner(file: string): Promise<RunOwner | undefined> {
  let owner: RunOwner
  try {
    owner = JSON.parse(await readFile(file, 'utf8')) as RunOwner
  } catch {
    return undefined
  }
  if (owner.host !== os.hostname()) return owner
  return isSameProcess(owner.pid, owner.start_time) ? owner : undefined
}

export async function acquireOwnership(file: string, runId: string): Promise<() => Promise<void>> {
  const me: RunOwner = {
    pid: process.pid,
    host: os.hostname(),
    ...(processStartTime(process.pid) ? { start_time: processStartTime(process.pid)! } : {}),
    since: new Date().toISOString(),
  }
  await withFileLock(file, async () => {
    const current = await readOwner(file)
    if (current && !(current.pid === me.pid && current.host === me.host))
      throw new DriftcoreError(
        'conflict',
        `run ${runId} is being worked on by process ${current.pid} on ${current.host} since ${current.since}`,
        { hint: `wait for it, or cancel it with: driftcore workflow cancel ${runId}` },
      )
    await writeFileAtomic(file, JSON.stringify(me) + '\n', { sync: false })
  })
  return async () => {
    await withFileLock(file, async () => {
      const current = await readOwner(file)
      if (current?.pid === me.pid && current.host === me.host) await rm(file, { force: true })
    })
  }
}
